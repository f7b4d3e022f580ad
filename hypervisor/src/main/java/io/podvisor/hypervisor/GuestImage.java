package io.podvisor.hypervisor;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The guest assets rootfs-builder produces: an uncompressed vmlinux, the initramfs and the
 * read-only erofs runtime disk (Java runtime, agent, crun).
 *
 * @param agentVersion the agent version baked into the image, compared with the host's
 */
public record GuestImage(Path kernel, Path initramfs, Path runtimeDisk, String agentVersion) {

    /** Fails with a message that names the missing file and how to build it. */
    public GuestImage requireFiles() throws VmmException {
        for (Path p : new Path[] {kernel, initramfs, runtimeDisk}) {
            if (!Files.isRegularFile(p)) {
                throw new VmmException("guest image file " + p + " is missing: build the guest image with "
                        + "rootfs-builder/build.sh (or set the image directory in /etc/podvisor/config.toml)");
            }
        }
        return this;
    }
}
