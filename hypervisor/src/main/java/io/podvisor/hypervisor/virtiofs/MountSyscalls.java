package io.podvisor.hypervisor.virtiofs;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * mount(2), umount2(2), openat2(2) and the new mount API (open_tree, mount_setattr, move_mount)
 * through FFM. The newer calls go through syscall(2): their numbers are the same on every
 * architecture and glibc wraps them only from 2.36 on. A failed call throws
 * {@link SyscallException} with errno.
 */
final class MountSyscalls {
    static final long MS_RDONLY = 1;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final long MS_NOEXEC = 8;
    static final long MS_SYNCHRONOUS = 16;
    static final long MS_DIRSYNC = 128;
    static final long MS_NOATIME = 1024;
    static final long MS_NODIRATIME = 2048;
    static final long MS_BIND = 4096;
    static final long MS_PRIVATE = 1 << 18;
    static final long MS_SHARED = 1 << 20;
    static final long MS_RELATIME = 1 << 21;
    static final long MS_STRICTATIME = 1 << 24;
    static final int MNT_DETACH = 2;

    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int ELOOP = 40;

    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_DIRECTORY = AARCH64 ? 0x4000 : 0x10000;
    static final int O_CLOEXEC = 0x80000;
    static final int O_PATH = 0x200000;
    private static final int AT_FDCWD = -100;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int AT_RECURSIVE = 0x8000;

    private static final long SYS_OPEN_TREE = 428;
    private static final long SYS_MOVE_MOUNT = 429;
    private static final long SYS_OPENAT2 = 437;
    private static final long SYS_MOUNT_SETATTR = 442;
    private static final long RESOLVE_NO_SYMLINKS = 0x04;
    private static final long RESOLVE_BENEATH = 0x08;
    /** struct open_how { u64 flags, mode, resolve; }. */
    private static final long OPEN_HOW_SIZE = 24;
    private static final int OPEN_TREE_CLONE = 1;
    private static final int OPEN_TREE_CLOEXEC = O_CLOEXEC;
    private static final int MOVE_MOUNT_F_EMPTY_PATH = 4;
    private static final int MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    private static final long MOUNT_ATTR_RDONLY = 1;
    /** struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; } (MOUNT_ATTR_SIZE_VER0). */
    private static final long MOUNT_ATTR_SIZE = 32;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle MOUNT = find("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle UMOUNT2 = find("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = find("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SYSCALL3 = find("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SYSCALL4 = find("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle MKDIRAT = find("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SYSCALL5 = find("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private MountSyscalls() {
    }

    private static MethodHandle find(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A system call failed with {@link #errno}. */
    static final class SyscallException extends IOException {
        final String call;
        final int errno;

        SyscallException(String call, int errno) {
            super(call + ": " + strerror(errno));
            this.call = call;
            this.errno = errno;
        }
    }

    /** mount(2); {@code source}, {@code type} and {@code data} may be null. */
    static void mount(String source, Path target, String type, long flags, String data) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int rc = (int) MOUNT.invokeExact(errno, string(arena, source), arena.allocateFrom(target.toString()),
                    string(arena, type), flags, string(arena, data));
            check(rc, "mount", errno);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void umount2(Path target, int flags) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int rc = (int) UMOUNT2.invokeExact(errno, arena.allocateFrom(target.toString()), flags);
            check(rc, "umount2", errno);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** open(2) of an absolute path as an O_PATH directory fd; symbolic links are followed. */
    static int openDirectory(Path path) throws SyscallException {
        return openat2(AT_FDCWD, path.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0);
    }

    /**
     * openat2(2) of {@code name} relative to {@code dirFd}, never following a symbolic link and
     * never leaving {@code dirFd}'s tree; {@code mode} applies with O_CREAT. Returns the new fd.
     */
    static int openBeneath(int dirFd, String name, int flags, int mode) throws SyscallException {
        return openat2(dirFd, name, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    }

    private static int openat2(int dirFd, String path, int flags, int mode, long resolve) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            MemorySegment how = arena.allocate(OPEN_HOW_SIZE, 8);
            how.set(JAVA_LONG, 0, flags & 0xffffffffL);
            how.set(JAVA_LONG, 8, mode);
            how.set(JAVA_LONG, 16, resolve);
            long fd = (long) SYSCALL4.invokeExact(errno, SYS_OPENAT2, (long) dirFd, arena.allocateFrom(path), how, OPEN_HOW_SIZE);
            check(fd, "openat2", errno);
            return (int) fd;
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void mkdirat(int dirFd, String name, int mode) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int rc = (int) MKDIRAT.invokeExact(errno, dirFd, arena.allocateFrom(name), mode);
            check(rc, "mkdirat", errno);
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) CLOSE.invokeExact(arena.allocate(CAPTURE), fd);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Attaches a recursive bind of {@code source} on the file or directory open as {@code targetFd}
     * (an O_PATH fd), read-only throughout if asked.
     * The mount is made read-only while still detached, so the copies that mount propagation hands
     * to other namespaces (virtiofsd's) are read-only too; a remount afterwards would not propagate.
     */
    static void bindTree(Path source, int targetFd, boolean readOnly) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int fd = (int) (long) SYSCALL3.invokeExact(errno, SYS_OPEN_TREE, (long) AT_FDCWD,
                    arena.allocateFrom(source.toString()), (long) (OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
            check(fd, "open_tree", errno);
            try {
                MemorySegment empty = arena.allocateFrom("");
                if (readOnly) {
                    MemorySegment attr = arena.allocate(MOUNT_ATTR_SIZE, 8);
                    attr.set(JAVA_LONG, 0, MOUNT_ATTR_RDONLY);
                    long rc = (long) SYSCALL5.invokeExact(errno, SYS_MOUNT_SETATTR, (long) fd, empty,
                            (long) (AT_EMPTY_PATH | AT_RECURSIVE), attr, MOUNT_ATTR_SIZE);
                    check(rc, "mount_setattr", errno);
                }
                long rc = (long) SYSCALL5.invokeExact(errno, SYS_MOVE_MOUNT, (long) fd, empty,
                        (long) targetFd, empty, (long) (MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
                check(rc, "move_mount", errno);
            } finally {
                close(fd);
            }
        } catch (SyscallException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void check(long rc, String call, MemorySegment errno) throws SyscallException {
        if (rc < 0) {
            throw new SyscallException(call, errno(errno));
        }
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static MemorySegment string(Arena arena, String s) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
    }

    private static int errno(MemorySegment captured) {
        return (int) ERRNO.get(captured, 0L);
    }
}
