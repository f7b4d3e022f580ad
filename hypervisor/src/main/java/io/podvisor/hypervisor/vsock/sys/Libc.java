package io.podvisor.hypervisor.vsock.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The few Linux calls the backend needs (eventfds, poll, mmap), through FFM. */
public final class Libc {
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int POLLIN = 0x1;
    public static final int POLLERR = 0x8;
    public static final int POLLHUP = 0x10;
    public static final int POLLNVAL = 0x20;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x1;
    static final int F_DUPFD_CLOEXEC = 1030;
    static final int MFD_CLOEXEC = 0x1;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CAPTURED =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final MethodHandle EVENTFD = find("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = find("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = find("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle POLL = find("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle CLOSE = find("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MMAP = find("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = find("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle FCNTL = find("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MEMFD_CREATE = find("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FTRUNCATE = find("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    /** Layout of {@code struct pollfd}. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), ValueLayout.JAVA_SHORT.withName("events"), ValueLayout.JAVA_SHORT.withName("revents"));

    private Libc() {
    }

    private static MethodHandle find(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private static int errno(MemorySegment captured) {
        return (int) ERRNO.get(captured, 0L);
    }

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** An I/O error from a system call, carrying errno. */
    static final class ErrnoException extends IOException {
        final int errno;

        ErrnoException(String call, int errno) {
            super(call + ": " + strerror(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }
    }

    public static int eventfd(int flags) throws ErrnoException {
        MemorySegment c = CAPTURED.get();
        int fd;
        try {
            fd = (int) EVENTFD.invokeExact(c, 0, flags);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (fd < 0) {
            throw new ErrnoException("eventfd", errno(c));
        }
        return fd;
    }

    /** Reads into {@code buf}; returns bytes read, or -errno. */
    static long read(int fd, MemorySegment buf, long len) {
        MemorySegment c = CAPTURED.get();
        long n;
        try {
            n = (long) READ.invokeExact(c, fd, buf, len);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return n < 0 ? -errno(c) : n;
    }

    /** Writes from {@code buf}; returns bytes written, or -errno. */
    static long write(int fd, MemorySegment buf, long len) {
        MemorySegment c = CAPTURED.get();
        long n;
        try {
            n = (long) WRITE.invokeExact(c, fd, buf, len);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return n < 0 ? -errno(c) : n;
    }

    /** Returns the number of ready entries, or -errno. */
    public static int poll(MemorySegment fds, long count, int timeoutMillis) {
        MemorySegment c = CAPTURED.get();
        int n;
        try {
            n = (int) POLL.invokeExact(c, fds, count, timeoutMillis);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return n < 0 ? -errno(c) : n;
    }

    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) CLOSE.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static long mmapShared(int fd, long length) throws ErrnoException {
        MemorySegment c = CAPTURED.get();
        MemorySegment address;
        try {
            address = (MemorySegment) MMAP.invokeExact(c, MemorySegment.NULL, length,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (address.address() == -1L) {
            throw new ErrnoException("mmap", errno(c));
        }
        return address.address();
    }

    public static void munmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(CAPTURED.get(), MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int dupCloexec(int fd) throws ErrnoException {
        MemorySegment c = CAPTURED.get();
        int copy;
        try {
            copy = (int) FCNTL.invokeExact(c, fd, F_DUPFD_CLOEXEC, 0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (copy < 0) {
            throw new ErrnoException("fcntl(F_DUPFD_CLOEXEC)", errno(c));
        }
        return copy;
    }

    private static final ThreadLocal<MemorySegment> COUNTER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(JAVA_LONG));

    /** Adds one to an eventfd's counter; returns 0 or -errno. */
    public static long eventfdSignal(int fd) {
        MemorySegment one = COUNTER.get();
        one.set(JAVA_LONG, 0, 1L);
        long n = write(fd, one, 8);
        return n < 0 ? n : 0;
    }

    /** Reads (and so resets) an eventfd's counter; returns the count, or -errno. */
    public static long eventfdDrain(int fd) {
        MemorySegment value = COUNTER.get();
        long n = read(fd, value, 8);
        return n < 0 ? n : value.get(JAVA_LONG, 0);
    }

    public static int memfdCreate(String name, long size) throws ErrnoException {
        MemorySegment c = CAPTURED.get();
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = (int) MEMFD_CREATE.invokeExact(c, arena.allocateFrom(name), MFD_CLOEXEC);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (fd < 0) {
            throw new ErrnoException("memfd_create", errno(c));
        }
        int rc;
        try {
            rc = (int) FTRUNCATE.invokeExact(c, fd, size);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (rc < 0) {
            int e = errno(c);
            close(fd);
            throw new ErrnoException("ftruncate", e);
        }
        return fd;
    }
}
