package io.podvisor.hypervisor.os;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.NativeMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.podvisor.libc.Libc.LIBC;

/** eventfd(2) counters: the vsock device's kick and call fds, and a poll loop's wake-up. */
public final class Eventfd {
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    /** A thread's 8-byte counter buffer for read and write. */
    private static final ThreadLocal<MemorySegment> COUNTER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8, 8));

    private Eventfd() {}

    public static int create(int flags) throws ErrnoException {
        return ErrnoException.check(LIBC.eventfd(0, flags), "eventfd");
    }

    /** Adds one to the counter; returns 0 or -errno. */
    public static long signal(int fd) {
        MemorySegment one = COUNTER.get();
        NativeMemory.view(one).putLong(0, 1L);
        long n = LIBC.write(fd, one.address(), 8);
        return n < 0 ? n : 0;
    }

    /** Reads (and so resets) the counter; returns the count, or -errno. */
    public static long drain(int fd) {
        MemorySegment value = COUNTER.get();
        long n = LIBC.read(fd, value.address(), 8);
        return n < 0 ? n : NativeMemory.view(value).getLong(0);
    }
}
