package io.podvisor.hypervisor.qemu;

import io.podvisor.hypervisor.Acceleration;
import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.Hypervisor;
import io.podvisor.hypervisor.RuntimeDisk;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * QEMU: a vhost-user-vsock device backed by this JVM (hybrid vsock), QMP for state and shutdown; a q35
 * machine with the runtime disk as virtio-pmem, or microvm with it as virtio-blk where pmem cannot be had
 * (see {@link RuntimeDisk}). Under KVM where KVM can boot the guest, else TCG.
 */
public final class QemuHypervisor implements Hypervisor {

    public static final Path DEFAULT_BINARY = Path.of("/usr/bin/qemu-system-x86_64");
    /** The seccomp filter options every VM's QEMU runs with. */
    public static final String SANDBOX = QemuCommandLine.SANDBOX;
    /** sun_path holds 108 bytes including the NUL. */
    private static final int MAX_SOCKET_PATH = 107;
    /** The vsock backend listens on {@code <hybrid socket>_<port>} for guest-initiated connections. */
    private static final int HYBRID_PORT_SUFFIX = "_4294967295".length();

    /** Whether a QEMU binary has the virtio-pmem-pci device: asked once per binary and process. */
    private static final Map<Path, Boolean> HAS_PMEM = new ConcurrentHashMap<>();

    private final Path qemuBinary;
    private final boolean kvmAllowed;
    private final String runtimeDiskSetting;
    private final Optional<QemuJail> jail;

    /**
     * @param qemuBinary         qemu-system-x86_64
     * @param kvmAllowed         the config switch; when true KVM is still used only if a test guest boots under it
     * @param runtimeDiskSetting the config key {@code runtime_disk} (see {@link RuntimeDisk#decide})
     */
    public QemuHypervisor(Path qemuBinary, boolean kvmAllowed, String runtimeDiskSetting) {
        this(qemuBinary, kvmAllowed, runtimeDiskSetting, Optional.empty());
    }

    /** @param jail where QEMU goes once its devices are set up; empty: it stays root, outside any chroot */
    public QemuHypervisor(Path qemuBinary, boolean kvmAllowed, String runtimeDiskSetting, Optional<QemuJail> jail) {
        this.qemuBinary = qemuBinary;
        this.kvmAllowed = kvmAllowed;
        this.runtimeDiskSetting = runtimeDiskSetting;
        this.jail = jail;
    }

    @Override
    public String name() {
        return "qemu";
    }

    /** KVM or TCG for guests of {@code kernel}, and why; the KVM probe runs once per process. */
    public Acceleration acceleration(Path kernel) throws VmmException {
        requireBinary("podvisor");
        QemuKvmProbe probe = new QemuKvmProbe(qemuBinary, kernel);
        return Acceleration.decide(kvmAllowed, Acceleration.KVM_DEVICE, probe.key(), probe);
    }

    /** How {@code image}'s runtime disk reaches guests of this QEMU, and why. */
    public RuntimeDisk runtimeDisk(GuestImage image) throws VmmException {
        Optional<String> problem = hasPmem()
                ? RuntimeDisk.imageProblem(image)
                : Optional.of("QEMU at " + qemuBinary + " has no virtio-pmem-pci device");
        return RuntimeDisk.decide(runtimeDiskSetting, problem);
    }

    private boolean hasPmem() {
        return HAS_PMEM.computeIfAbsent(qemuBinary, binary -> {
            try {
                Process p = new ProcessBuilder(binary.toString(), "-device", "virtio-pmem-pci,help")
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    @Override
    public Vmm create(VmSpec spec) throws VmmException {
        spec.image().requireFiles();
        requireBinary("VM " + spec.name());
        if (!Files.isDirectory(spec.runDir())) {
            throw new VmmException("VM " + spec.name() + ": run directory " + spec.runDir()
                    + " does not exist; the caller creates it before creating the VM");
        }
        QemuFiles files = QemuFiles.of(spec);
        requireShortEnough(spec, files.qmp(), 0);
        requireShortEnough(spec, files.vhostUserVsock(), 0);
        requireShortEnough(spec, files.hybridVsock(), HYBRID_PORT_SUFFIX);
        Acceleration accel = acceleration(spec.image().kernel());
        long tscKHz = accel.kvm() ? 0 : HostTsc.kHz();
        RuntimeDisk runtimeDisk = runtimeDisk(spec.image());
        VmmUid uid = jail.isPresent() ? jail.get().claim(spec.name()) : null;
        List<String> argv = QemuCommandLine.build(qemuBinary, spec, accel, tscKHz, files, runtimeDisk,
                uid == null ? List.of() : jail.get().arguments(uid));
        return new QemuVm(spec, argv, files, uid);
    }

    private void requireBinary(String who) throws VmmException {
        if (!Files.isExecutable(qemuBinary)) {
            throw new VmmException(who + ": QEMU is not installed at " + qemuBinary
                    + ": install the Debian package qemu-system-x86 (or set qemu_path in /etc/podvisor/config.toml)");
        }
    }

    private static void requireShortEnough(VmSpec spec, Path socket, int suffix) throws VmmException {
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length + suffix;
        if (length > MAX_SOCKET_PATH) {
            throw new VmmException("VM " + spec.name() + ": socket path " + socket + " is too long for a unix socket ("
                    + length + " of at most " + MAX_SOCKET_PATH + " bytes" + (suffix > 0 ? " with its _<port> suffix" : "")
                    + "); use a shorter run directory");
        }
    }
}
