package io.podvisor.it.cri;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Watches a pod's CRI log directory (inotify) and tells when a container's log file holds its
 * first complete line: the moment a user of {@code kubectl logs} would see the container's output.
 */
public final class FirstOutput implements AutoCloseable {
    private final WatchService watcher;

    private FirstOutput(WatchService watcher) {
        this.watcher = watcher;
    }

    public static FirstOutput watch(Path logDir) throws IOException {
        Files.createDirectories(logDir);
        WatchService watcher = FileSystems.getDefault().newWatchService();
        logDir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        return new FirstOutput(watcher);
    }

    /** Returns once {@code log} holds a complete line; {@code what} names the container in the error. */
    public void await(Path log, Duration timeout, String what) throws IOException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!hasLine(log)) {
            long left = deadline - System.nanoTime();
            WatchKey key = left > 0 ? watcher.poll(left, TimeUnit.NANOSECONDS) : null;
            if (key == null) {
                throw new TimeoutException(what + " wrote no output to " + log + " within " + timeout.toSeconds() + " s");
            }
            key.pollEvents();
            key.reset();
        }
    }

    private static boolean hasLine(Path log) throws IOException {
        try {
            for (byte b : Files.readAllBytes(log)) {
                if (b == '\n') {
                    return true;
                }
            }
            return false;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        watcher.close();
    }
}
