package io.podvisor.agent.os;

import static io.podvisor.agent.os.Libc.LIBC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;

/** poll(2) for readability: a readable descriptor, a hung-up pipe or an exited process's pidfd all count. */
public final class Poll {

    private static final int POLLFD_SIZE = 8;

    private Poll() {}

    /**
     * Waits until at least one of {@code fds} is ready or {@code timeout} passes.
     *
     * @return for each descriptor whether it is ready; all false after a timeout
     */
    public static boolean[] awaitReadable(Duration timeout, Fd... fds) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfds = arena.allocate(POLLFD_SIZE * fds.length, 8);
            ByteBuffer entries = NativeMemory.view(pollfds);
            for (int i = 0; i < fds.length; i++) {
                entries.putInt(i * POLLFD_SIZE, fds[i].value());
                entries.putShort(i * POLLFD_SIZE + 4, Libc.Events.POLLIN);
            }
            while (true) {
                long remainingMillis = Math.max(0, (deadline - System.nanoTime() + 999_999) / 1_000_000);
                int rc = LIBC.poll(pollfds.address(), fds.length, (int) Math.min(Integer.MAX_VALUE, remainingMillis));
                if (rc >= 0) {
                    boolean[] ready = new boolean[fds.length];
                    for (int i = 0; i < fds.length; i++) {
                        ready[i] = entries.getShort(i * POLLFD_SIZE + 6) != 0;
                    }
                    return ready;
                }
                if (rc != -Libc.EINTR) {
                    throw Libc.failure("poll", -rc);
                }
            }
        }
    }

    /** A pidfd for child {@code pid}: readable once it has exited, whether or not it has been reaped. */
    public static Fd pidfd(int pid) throws IOException {
        int fd = LIBC.pidfdOpen(pid, 0);
        if (fd < 0) {
            throw Libc.failure("pidfd_open(" + pid + ")", -fd);
        }
        return new Fd(fd);
    }
}
