package io.podvisor.hypervisor.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * {@link Libc} through FFM downcalls, for the JVM. Pointers cross as {@code long}, which x86_64 and aarch64
 * pass like pointers. Each call links on first use, so a process pays only for the calls it makes.
 */
final class FfmLibc implements Libc {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** Where a thread's calls leave errno: the downcall copies it there before returning. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    /**
     * A handle for libc's {@code name} taking the errno capture segment as its first argument; a variadic
     * function names the index of its first variadic parameter, else -1.
     */
    private static MethodHandle link(String name, int firstVariadic, FunctionDescriptor descriptor) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        Linker.Option errno = Linker.Option.captureCallState("errno");
        return firstVariadic < 0
                ? LINKER.downcallHandle(symbol, descriptor, errno)
                : LINKER.downcallHandle(symbol, descriptor, errno, Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static MethodHandle link(String name, FunctionDescriptor descriptor) {
        return link(name, -1, descriptor);
    }

    private static int orErrno(int result, MemorySegment state) {
        return result < 0 ? -(int) ERRNO.get(state, 0L) : result;
    }

    private static long orErrno(long result, MemorySegment state) {
        return result < 0 ? -(int) ERRNO.get(state, 0L) : result;
    }

    /** invokeExact declares Throwable; a downcall throws only unchecked ones. */
    private static RuntimeException rethrow(String call, Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(call, t);
    }

    @Override
    public String strerror(int errno) {
        try {
            long text = (long) Strings.STRERROR.invokeExact(STATE.get(), errno);
            return text == 0 ? "error " + errno : NativeMemory.string(text, 256);
        } catch (Throwable t) {
            return "error " + errno;
        }
    }

    @Override
    public long read(int fd, long buffer, long count) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((long) Fds.READ.invokeExact(state, fd, buffer, count), state);
        } catch (Throwable t) {
            throw rethrow("read", t);
        }
    }

    @Override
    public long write(int fd, long buffer, long count) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((long) Fds.WRITE.invokeExact(state, fd, buffer, count), state);
        } catch (Throwable t) {
            throw rethrow("write", t);
        }
    }

    @Override
    public int close(int fd) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Fds.CLOSE.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow("close", t);
        }
    }

    @Override
    public int open(long path, int flags, int mode) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Fds.OPEN.invokeExact(state, path, flags, mode), state);
        } catch (Throwable t) {
            throw rethrow("open", t);
        }
    }

    @Override
    public int dup2(int fd, int newFd) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Fds.DUP2.invokeExact(state, fd, newFd), state);
        } catch (Throwable t) {
            throw rethrow("dup2", t);
        }
    }

    @Override
    public int fcntl(int fd, int command, int argument) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Fds.FCNTL.invokeExact(state, fd, command, argument), state);
        } catch (Throwable t) {
            throw rethrow("fcntl", t);
        }
    }

    @Override
    public int ioctl(int fd, long request, long argument) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Fds.IOCTL.invokeExact(state, fd, request, argument), state);
        } catch (Throwable t) {
            throw rethrow("ioctl", t);
        }
    }

    @Override
    public int eventfd(int initialValue, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Fds.EVENTFD.invokeExact(state, initialValue, flags), state);
        } catch (Throwable t) {
            throw rethrow("eventfd", t);
        }
    }

    @Override
    public int poll(long fds, long count, int timeoutMillis) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Fds.POLL.invokeExact(state, fds, count, timeoutMillis), state);
        } catch (Throwable t) {
            throw rethrow("poll", t);
        }
    }

    @Override
    public long mmap(long address, long length, int protection, int flags, int fd, long offset) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((long) Memory.MMAP.invokeExact(state, address, length, protection, flags, fd, offset), state);
        } catch (Throwable t) {
            throw rethrow("mmap", t);
        }
    }

    @Override
    public int munmap(long address, long length) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Memory.MUNMAP.invokeExact(state, address, length), state);
        } catch (Throwable t) {
            throw rethrow("munmap", t);
        }
    }

    @Override
    public int memfdCreate(long name, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Memory.MEMFD_CREATE.invokeExact(state, name, flags), state);
        } catch (Throwable t) {
            throw rethrow("memfd_create", t);
        }
    }

    @Override
    public int ftruncate(int fd, long length) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Memory.FTRUNCATE.invokeExact(state, fd, length), state);
        } catch (Throwable t) {
            throw rethrow("ftruncate", t);
        }
    }

    @Override
    public int mount(long source, long target, long fstype, long flags, long data) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Mounts.MOUNT.invokeExact(state, source, target, fstype, flags, data), state);
        } catch (Throwable t) {
            throw rethrow("mount", t);
        }
    }

    @Override
    public int umount2(long target, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Mounts.UMOUNT2.invokeExact(state, target, flags), state);
        } catch (Throwable t) {
            throw rethrow("umount2", t);
        }
    }

    @Override
    public int mkdirat(int dirFd, long path, int mode) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Mounts.MKDIRAT.invokeExact(state, dirFd, path, mode), state);
        } catch (Throwable t) {
            throw rethrow("mkdirat", t);
        }
    }

    @Override
    public long syscall(long number, long a1, long a2, long a3, long a4, long a5) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((long) Mounts.SYSCALL.invokeExact(state, number, a1, a2, a3, a4, a5), state);
        } catch (Throwable t) {
            throw rethrow("syscall " + number, t);
        }
    }

    @Override
    public int setsid() {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Processes.SETSID.invokeExact(state), state);
        } catch (Throwable t) {
            throw rethrow("setsid", t);
        }
    }

    @Override
    public int setns(int fd, int namespaceType) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Processes.SETNS.invokeExact(state, fd, namespaceType), state);
        } catch (Throwable t) {
            throw rethrow("setns", t);
        }
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Processes.SOCKET.invokeExact(state, domain, type, protocol), state);
        } catch (Throwable t) {
            throw rethrow("socket", t);
        }
    }

    @Override
    public int getsockopt(int fd, int level, int name, long value, long length) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Processes.GETSOCKOPT.invokeExact(state, fd, level, name, value, length), state);
        } catch (Throwable t) {
            throw rethrow("getsockopt", t);
        }
    }

    private static final class Strings {
        static final MethodHandle STRERROR = link("strerror", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    }

    private static final class Fds {
        static final MethodHandle READ = link("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle WRITE = link("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle OPEN = link("open", 2, FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
        static final MethodHandle DUP2 = link("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle FCNTL = link("fcntl", 2, FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle IOCTL = link("ioctl", 2, FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle EVENTFD = link("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle POLL = link("poll", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    }

    private static final class Memory {
        static final MethodHandle MMAP = link("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        static final MethodHandle MUNMAP = link("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle MEMFD_CREATE = link("memfd_create", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle FTRUNCATE = link("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    }

    private static final class Mounts {
        static final MethodHandle MOUNT = link("mount",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        static final MethodHandle UMOUNT2 = link("umount2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle MKDIRAT = link("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle SYSCALL = link("syscall", 1,
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    }

    private static final class Processes {
        static final MethodHandle SETSID = link("setsid", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle SETNS = link("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle SOCKET = link("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle GETSOCKOPT = link("getsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    }
}
