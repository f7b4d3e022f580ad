package io.podvisor.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The guest assets rootfs-builder produces: an uncompressed vmlinux, the initramfs and the
 * read-only erofs runtime disk (Java runtime, agent, crun).
 *
 * @param agentVersion the agent version baked into the image, compared with the host's
 */
public record GuestImage(Path kernel, Path initramfs, Path runtimeDisk, String agentVersion) {

    private static final String BUILD_HINT =
            "build the guest image with rootfs-builder/build.sh (or set image_dir in /etc/podvisor/config.toml)";

    /** Reads an image directory as rootfs-builder writes it: vmlinux, initramfs.cpio, runtime.erofs, image.json. */
    public static GuestImage load(Path dir) throws VmmException {
        Path manifest = dir.resolve("image.json");
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(Files.readString(manifest));
        } catch (NoSuchFileException e) {
            throw new VmmException("guest image " + dir + " has no image.json: " + BUILD_HINT);
        } catch (IOException e) {
            throw new VmmException("guest image manifest " + manifest + " is unreadable (" + e.getMessage()
                    + "): " + BUILD_HINT, e);
        }
        String version = json.path("agentVersion").asText("");
        if (version.isEmpty()) {
            throw new VmmException("guest image manifest " + manifest + " names no agentVersion: " + BUILD_HINT);
        }
        Path initramfs = dir.resolve("initramfs.cpio");
        if (!Files.exists(initramfs) && Files.exists(dir.resolve("initramfs.cpio.gz"))) {
            initramfs = dir.resolve("initramfs.cpio.gz");
        }
        return new GuestImage(dir.resolve("vmlinux"), initramfs, dir.resolve("runtime.erofs"), version)
                .requireFiles();
    }

    /** Fails with a message that names the missing file and how to build it. */
    public GuestImage requireFiles() throws VmmException {
        for (Path p : new Path[] {kernel, initramfs, runtimeDisk}) {
            if (!Files.isRegularFile(p)) {
                throw new VmmException("guest image file " + p + " is missing: " + BUILD_HINT);
            }
        }
        return this;
    }

    /** Fails unless the image's agent is the version this host software speaks. */
    public GuestImage requireAgentVersion(String hostVersion) throws VmmException {
        if (!agentVersion.equals(hostVersion)) {
            throw new VmmException("guest image " + kernel.getParent() + " was built for agent version "
                    + agentVersion + " but this podvisor is version " + hostVersion
                    + ": rebuild it with rootfs-builder/build.sh");
        }
        return this;
    }
}
