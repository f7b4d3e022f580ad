package io.podvisor.hypervisor.virtiofs;

import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The two virtiofsd implementations Debian ships and their command lines: QEMU's C version
 * (bookworm, qemu-system-common: /usr/lib/qemu/virtiofsd, fuse-style {@code -o} options) and the
 * Rust rewrite (trixie on, package virtiofsd: /usr/libexec/virtiofsd, long options).
 *
 * <p>Both get: the share's root, cache=auto (metadata cached for a second; the host side changes
 * under the guest when the shim mounts), submounts announced (each mount under the root is its
 * own file system in the guest, so inode numbers of different mounts cannot collide), and the
 * namespace sandbox (virtiofsd pivots into the root in a mount namespace that is a slave of the
 * host's, so mounts made under the root later reach it).
 */
enum VirtiofsdFlavor {
    QEMU_C {
        @Override
        List<String> argv(Path binary, Path socket, Path source) {
            return List.of(binary.toString(), "--socket-path=" + socket, "-o", "source=" + source,
                    "-o", "cache=auto", "-o", "announce_submounts", "-o", "sandbox=namespace");
        }
    },
    RUST {
        @Override
        List<String> argv(Path binary, Path socket, Path source) {
            return List.of(binary.toString(), "--socket-path=" + socket, "--shared-dir=" + source,
                    "--cache=auto", "--announce-submounts", "--sandbox=namespace");
        }
    };

    private static final long HELP_TIMEOUT_SECONDS = 10;
    private static final Map<Path, VirtiofsdFlavor> DETECTED = new ConcurrentHashMap<>();

    abstract List<String> argv(Path binary, Path socket, Path source);

    /** Which implementation {@code binary} is, from its {@code --help}; remembered per path. */
    static VirtiofsdFlavor of(Path binary) throws VmmException {
        VirtiofsdFlavor known = DETECTED.get(binary);
        if (known != null) {
            return known;
        }
        VirtiofsdFlavor flavor = fromHelp(binary, help(binary));
        DETECTED.put(binary, flavor);
        return flavor;
    }

    static VirtiofsdFlavor fromHelp(Path binary, String help) throws VmmException {
        if (help.contains("--shared-dir")) {
            return RUST;
        }
        if (help.contains("-o source=")) {
            return QEMU_C;
        }
        throw new VmmException(binary + " does not look like virtiofsd: its --help names neither --shared-dir nor"
                + " -o source=; install Debian's virtiofsd or qemu-system-common package");
    }

    private static String help(Path binary) throws VmmException {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--help").redirectErrorStream(true).start();
            p.getOutputStream().close();
            // The help text (a few KiB) fits in the pipe, so waiting first cannot block the process.
            if (!p.waitFor(HELP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new VmmException(binary + " --help did not finish within " + HELP_TIMEOUT_SECONDS + " s");
            }
            try (InputStream in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new VmmException("cannot run " + binary + " --help: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted while running " + binary + " --help", e);
        }
    }
}
