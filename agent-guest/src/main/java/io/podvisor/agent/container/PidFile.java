package io.podvisor.agent.container;

import io.podvisor.agent.os.Fd;
import io.podvisor.agent.os.Inotify;
import io.podvisor.agent.os.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/** Waits for the pid file crun writes ({@code --pid-file}), watching its directory with inotify. */
final class PidFile {

    private static final int MASK = Inotify.IN_CLOSE_WRITE | Inotify.IN_MOVED_TO | Inotify.IN_CREATE;

    private PidFile() {}

    /**
     * @param giveUp readable once the pid file cannot come any more (crun's pidfd)
     * @return the pid, or empty if {@code giveUp} fired or {@code timeout} passed without a pid file
     */
    static OptionalInt await(Path file, Fd giveUp, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Inotify inotify = Inotify.open()) {
            inotify.watch(file.getParent(), MASK);
            while (true) {
                OptionalInt pid = read(file);
                long remaining = deadline - System.nanoTime();
                if (pid.isPresent() || remaining <= 0) {
                    return pid;
                }
                boolean[] ready = Poll.awaitReadable(Duration.ofNanos(remaining), inotify.fd(), giveUp);
                if (ready[1]) {
                    return read(file);
                }
                if (ready[0]) {
                    inotify.read();
                }
            }
        }
    }

    /** The pid in {@code file}; empty while it is absent or not completely written. */
    static OptionalInt read(Path file) throws IOException {
        try {
            String text = Files.readString(file).strip();
            return text.isEmpty() || !text.chars().allMatch(Character::isDigit)
                    ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(text));
        } catch (NoSuchFileException e) {
            return OptionalInt.empty();
        }
    }
}
