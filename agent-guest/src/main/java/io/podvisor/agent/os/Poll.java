package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.Libc;
import io.podvisor.libc.NativeMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;

/** poll(2) for readability: a readable descriptor, a hung-up pipe or an exited process's pidfd all count. */
public final class Poll {

    private static final int POLLFD_SIZE = 8;
    private static final short POLLIN = 0x1;
    /** pidfd_open(2), through syscall(2) as older glibc lacks a wrapper. */
    private static final long SYS_PIDFD_OPEN = 434;

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
                entries.putShort(i * POLLFD_SIZE + 4, POLLIN);
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
                    throw new ErrnoException("poll", -rc);
                }
            }
        }
    }

    /** A pidfd for child {@code pid}: readable once it has exited, whether or not it has been reaped. */
    public static Fd pidfd(int pid) throws IOException {
        long fd = ErrnoException.check(LIBC.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0), "pidfd_open(" + pid + ")");
        return new Fd((int) fd);
    }
}
