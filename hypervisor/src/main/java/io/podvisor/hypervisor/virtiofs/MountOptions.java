package io.podvisor.hypervisor.virtiofs;

import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_DIRSYNC;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_NOATIME;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_NODEV;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_NODIRATIME;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_NOEXEC;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_NOSUID;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_RDONLY;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_RELATIME;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_STRICTATIME;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_SYNCHRONOUS;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Splits fstab-style options (as containerd passes them) into mount(2) flags and the file
 * system's own data string, the way mount(8) does.
 *
 * @param flags    MS_* flags
 * @param bind     "bind" or "rbind" was given: a bind mount, not a new file system
 * @param readOnly "ro" was given
 * @param data     the remaining options, comma-separated, or null if none
 */
record MountOptions(long flags, boolean bind, boolean readOnly, String data) {

    private static final Map<String, Long> SET = Map.of(
            "ro", MS_RDONLY, "nosuid", MS_NOSUID, "nodev", MS_NODEV, "noexec", MS_NOEXEC,
            "sync", MS_SYNCHRONOUS, "dirsync", MS_DIRSYNC, "noatime", MS_NOATIME,
            "nodiratime", MS_NODIRATIME, "relatime", MS_RELATIME, "strictatime", MS_STRICTATIME);
    private static final Map<String, Long> CLEAR = Map.of(
            "rw", MS_RDONLY, "suid", MS_NOSUID, "dev", MS_NODEV, "exec", MS_NOEXEC, "async", MS_SYNCHRONOUS,
            "atime", MS_NOATIME, "diratime", MS_NODIRATIME, "norelatime", MS_RELATIME);
    /** Propagation and mount(8)-only words: meaningless for a mount under the pod's shared directory. */
    private static final Set<String> IGNORED = Set.of("defaults", "private", "rprivate", "shared", "rshared",
            "slave", "rslave", "unbindable", "runbindable", "auto", "noauto", "nofail", "_netdev");

    static MountOptions parse(List<String> options) {
        long flags = 0;
        boolean bind = false;
        List<String> data = new ArrayList<>();
        for (String option : options) {
            if (SET.containsKey(option)) {
                flags |= SET.get(option);
            } else if (CLEAR.containsKey(option)) {
                flags &= ~CLEAR.get(option);
            } else if (option.equals("bind") || option.equals("rbind")) {
                bind = true;
            } else if (!IGNORED.contains(option) && !option.isEmpty()) {
                data.add(option);
            }
        }
        return new MountOptions(flags, bind, (flags & MS_RDONLY) != 0, data.isEmpty() ? null : String.join(",", data));
    }
}
