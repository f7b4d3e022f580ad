package io.podvisor.shim.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Per-VM run directories named {@code <pid>-<n>} after the process that owns them, so that
 * directories left by a killed process can be recognised and swept.
 */
public final class RunDirs {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private RunDirs() {}

    /** Creates a fresh directory under {@code parent}, after removing those of dead processes. */
    public static Path forThisProcess(Path parent) throws IOException {
        Files.createDirectories(parent);
        sweepDead(parent);
        Path dir = parent.resolve(ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
        Files.createDirectory(dir);
        return dir;
    }

    /** Removes directories whose owning process no longer runs. */
    public static void sweepDead(Path parent) throws IOException {
        try (Stream<Path> dirs = Files.list(parent)) {
            dirs.filter(d -> !ownerAlive(d)).forEach(RunDirs::remove);
        }
    }

    private static boolean ownerAlive(Path dir) {
        String name = dir.getFileName().toString();
        int dash = name.indexOf('-');
        try {
            long pid = Long.parseLong(dash > 0 ? name.substring(0, dash) : name);
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true; // not ours: leave it
        }
    }

    /** Deletes a directory tree (a symbolic link: the link alone); missing is fine. */
    public static void remove(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("podvisor: could not remove " + dir + ": " + e.getMessage());
        }
    }
}
