package io.podvisor.hypervisor.virtiofs;

import static io.podvisor.libc.Libc.LIBC;
import static io.podvisor.libc.Libc.O_CLOEXEC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.NativeMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * mount(2), umount2(2), openat2(2) and the new mount API (open_tree, mount_setattr, move_mount), through
 * {@link io.podvisor.libc.Libc}. The newer calls go through syscall(2): their numbers are the same on
 * every architecture and glibc wraps them only from 2.36 on. A failed call throws {@link ErrnoException}.
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

    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    static final int O_DIRECTORY = AARCH64 ? 0x4000 : 0x10000;
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

    private MountSyscalls() {
    }

    /** mount(2); {@code source}, {@code type} and {@code data} may be null. */
    static void mount(String source, Path target, String type, long flags, String data) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException.check(LIBC.mount(NativeMemory.cString(arena, source),
                    NativeMemory.cString(arena, target.toString()), NativeMemory.cString(arena, type), flags,
                    NativeMemory.cString(arena, data)), "mount");
        }
    }

    static void umount2(Path target, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException.check(LIBC.umount2(NativeMemory.cString(arena, target.toString()), flags), "umount2");
        }
    }

    /** open(2) of an absolute path as an O_PATH directory fd; symbolic links are followed. */
    static int openDirectory(Path path) throws ErrnoException {
        return openat2(AT_FDCWD, path.toString(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0);
    }

    /**
     * openat2(2) of {@code name} relative to {@code dirFd}, never following a symbolic link and
     * never leaving {@code dirFd}'s tree; {@code mode} applies with O_CREAT. Returns the new fd.
     */
    static int openBeneath(int dirFd, String name, int flags, int mode) throws ErrnoException {
        return openat2(dirFd, name, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    }

    private static int openat2(int dirFd, String path, int flags, int mode, long resolve) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment how = arena.allocate(OPEN_HOW_SIZE, 8);
            NativeMemory.view(how).putLong(0, flags & 0xffffffffL).putLong(8, mode).putLong(16, resolve);
            return (int) ErrnoException.check(LIBC.syscall(SYS_OPENAT2, dirFd, NativeMemory.cString(arena, path),
                    how.address(), OPEN_HOW_SIZE, 0), "openat2");
        }
    }

    static void mkdirat(int dirFd, String name, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException.check(LIBC.mkdirat(dirFd, NativeMemory.cString(arena, name), mode), "mkdirat");
        }
    }

    static void close(int fd) {
        LIBC.close(fd);
    }

    /**
     * Attaches a recursive bind of {@code source} on the file or directory open as {@code targetFd}
     * (an O_PATH fd), read-only throughout if asked.
     * The mount is made read-only while still detached, so the copies that mount propagation hands
     * to other namespaces (virtiofsd's) are read-only too; a remount afterwards would not propagate.
     */
    static void bindTree(Path source, int targetFd, boolean readOnly) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) ErrnoException.check(LIBC.syscall(SYS_OPEN_TREE, AT_FDCWD,
                    NativeMemory.cString(arena, source.toString()), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE,
                    0, 0), "open_tree");
            try {
                long empty = NativeMemory.cString(arena, "");
                if (readOnly) {
                    MemorySegment attr = arena.allocate(MOUNT_ATTR_SIZE, 8);
                    ByteBuffer attrView = NativeMemory.view(attr);
                    for (int at = 0; at < MOUNT_ATTR_SIZE; at += 8) {
                        attrView.putLong(at, 0);
                    }
                    attrView.putLong(0, MOUNT_ATTR_RDONLY);
                    ErrnoException.check(LIBC.syscall(SYS_MOUNT_SETATTR, fd, empty, AT_EMPTY_PATH | AT_RECURSIVE,
                            attr.address(), MOUNT_ATTR_SIZE), "mount_setattr");
                }
                ErrnoException.check(LIBC.syscall(SYS_MOVE_MOUNT, fd, empty, targetFd, empty,
                        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH), "move_mount");
            } finally {
                close(fd);
            }
        }
    }
}
