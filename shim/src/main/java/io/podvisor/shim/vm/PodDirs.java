package io.podvisor.shim.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a pod's VM keeps its sockets, logs and shared directory on the host: a short name derived
 * from the sandbox id, because unix socket paths must fit in 107 bytes and CRI ids are 64 chars.
 */
final class PodDirs {
    /** Guest path where the agent mounts the pod's virtio-fs share. */
    static final String GUEST_SHARE = "/run/podvisor/shared";
    static final String SHARE_TAG = "pod";

    private PodDirs() {}

    /** A warm pool VM's name (as WarmPool makes it): short already, and legible in the pods directory. */
    private static final Pattern WARM_VM = Pattern.compile("warm-[0-9]+x[0-9]+-[0-9a-f]{8}");

    static Path podDir(Path runDir, String sandboxId) {
        return runDir.resolve("pods").resolve(WARM_VM.matcher(sandboxId).matches() ? sandboxId : shortName(sandboxId));
    }

    /**
     * Creates the pod's directory and its parent readable by root alone: they hold the VM's console log, its vsock,
     * QMP and virtiofsd sockets, and the containers' root file systems.
     */
    static void createPrivate(Path podDir) throws IOException {
        for (Path dir : List.of(podDir.getParent(), podDir)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    static Path sharedDir(Path podDir) {
        return podDir.resolve("shared");
    }

    /** The guest path of a path relative to the shared directory. */
    static String guestPath(String relative) {
        return GUEST_SHARE + "/" + relative;
    }

    private static String shortName(String sandboxId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(sandboxId.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
