package io.podvisor.hypervisor.qemu;

import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Where QEMU goes once its devices are set up (it opens the TAP device, guest memory, the disks and its sockets as
 * root first): to a user id of the VM's own ({@link VmmUid}) and into an empty, read-only root ({@code -runas},
 * {@code -chroot}). A guest that takes over a device model is then an unprivileged process that sees no files.
 */
public record QemuJail(Path dir) {

    /** What {@code podvisor check} says about it. */
    public String describe() {
        return "QEMU drops to a user id of its own (from " + VmmUid.FIRST + ") and chroots to the empty " + root()
                + " once its devices are set up";
    }

    Path root() {
        return dir.resolve("root");
    }

    Path claims() {
        return dir.resolve("uids");
    }

    VmmUid claim(String vmName) throws VmmException {
        try {
            Files.createDirectories(root());
            Files.setPosixFilePermissions(root(), PosixFilePermissions.fromString("r-xr-xr-x"));
        } catch (IOException e) {
            throw new VmmException("VM " + vmName + ": cannot make QEMU's empty root " + root() + ": " + e.getMessage(), e);
        }
        return VmmUid.claim(claims(), vmName);
    }

    List<String> arguments(VmmUid uid) {
        return List.of("-runas", uid.uid() + ":" + uid.uid(), "-chroot", root().toString());
    }
}
