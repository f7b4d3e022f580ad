package io.podvisor.libc;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * {@link Libc} through FFM downcalls, for the JVM. Pointers cross as {@code long}, which x86_64 and aarch64
 * pass like pointers. Each group of calls links on first use, so a process pays only for the calls it makes.
 */
final class FfmLibc implements Libc {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** Where a thread's calls leave errno: the downcall copies it there before returning. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    /** A handle for libc's {@code name}; a variadic function's options name its first variadic parameter. */
    private static MethodHandle link(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** As {@link #link}, for a call that sets errno: the handle takes the capture segment as its first argument. */
    private static MethodHandle linkErrno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        return link(name, descriptor, all);
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
            long text = (long) Strings.STRERROR.invokeExact(errno);
            return text == 0 ? "error " + errno : NativeMemory.string(MemorySegment.ofAddress(text).reinterpret(256));
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
    public int pipe2(long fds, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Fds.PIPE2.invokeExact(state, fds, flags), state);
        } catch (Throwable t) {
            throw rethrow("pipe2", t);
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
    public int poll(long fds, long count, int timeoutMillis) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Events.POLL.invokeExact(state, fds, count, timeoutMillis), state);
        } catch (Throwable t) {
            throw rethrow("poll", t);
        }
    }

    @Override
    public int eventfd(int initialValue, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Events.EVENTFD.invokeExact(state, initialValue, flags), state);
        } catch (Throwable t) {
            throw rethrow("eventfd", t);
        }
    }

    @Override
    public int inotifyInit1(int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Events.INOTIFY_INIT1.invokeExact(state, flags), state);
        } catch (Throwable t) {
            throw rethrow("inotify_init1", t);
        }
    }

    @Override
    public int inotifyAddWatch(int fd, long path, int mask) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Events.INOTIFY_ADD_WATCH.invokeExact(state, fd, path, mask), state);
        } catch (Throwable t) {
            throw rethrow("inotify_add_watch", t);
        }
    }

    @Override
    public int inotifyRmWatch(int fd, int watch) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Events.INOTIFY_RM_WATCH.invokeExact(state, fd, watch), state);
        } catch (Throwable t) {
            throw rethrow("inotify_rm_watch", t);
        }
    }

    @Override
    public long mmap(long address, long length, int protection, int flags, int fd, long offset) {
        MemorySegment state = STATE.get();
        try {
            long result = (long) Memory.MMAP.invokeExact(state, address, length, protection, flags, fd, offset);
            return orErrno(result, state);
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
            return orErrno((long) Syscall.SYSCALL.invokeExact(state, number, a1, a2, a3, a4, a5), state);
        } catch (Throwable t) {
            throw rethrow("syscall", t);
        }
    }

    @Override
    public int posixSpawnFileActionsInit(long actions) {
        try {
            return (int) Spawn.FA_INIT.invokeExact(actions);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_init", t);
        }
    }

    @Override
    public int posixSpawnFileActionsDestroy(long actions) {
        try {
            return (int) Spawn.FA_DESTROY.invokeExact(actions);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_destroy", t);
        }
    }

    @Override
    public int posixSpawnFileActionsAddDup2(long actions, int fd, int newFd) {
        try {
            return (int) Spawn.FA_DUP2.invokeExact(actions, fd, newFd);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_adddup2", t);
        }
    }

    @Override
    public int posixSpawnFileActionsAddOpen(long actions, int fd, long path, int flags, int mode) {
        try {
            return (int) Spawn.FA_OPEN.invokeExact(actions, fd, path, flags, mode);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_addopen", t);
        }
    }

    @Override
    public int posixSpawnFileActionsAddChdir(long actions, long path) {
        try {
            return (int) Spawn.FA_CHDIR.invokeExact(actions, path);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_addchdir_np", t);
        }
    }

    @Override
    public int posixSpawnFileActionsAddClosefrom(long actions, int lowFd) {
        try {
            return (int) Spawn.FA_CLOSEFROM.invokeExact(actions, lowFd);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_addclosefrom_np", t);
        }
    }

    @Override
    public int posixSpawnattrInit(long attr) {
        try {
            return (int) Spawn.ATTR_INIT.invokeExact(attr);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_init", t);
        }
    }

    @Override
    public int posixSpawnattrDestroy(long attr) {
        try {
            return (int) Spawn.ATTR_DESTROY.invokeExact(attr);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_destroy", t);
        }
    }

    @Override
    public int posixSpawnattrSetflags(long attr, short flags) {
        try {
            return (int) Spawn.ATTR_SETFLAGS.invokeExact(attr, flags);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_setflags", t);
        }
    }

    @Override
    public int posixSpawnattrSetsigdefault(long attr, long signals) {
        try {
            return (int) Spawn.ATTR_SETSIGDEFAULT.invokeExact(attr, signals);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_setsigdefault", t);
        }
    }

    @Override
    public int posixSpawnattrSetsigmask(long attr, long signals) {
        try {
            return (int) Spawn.ATTR_SETSIGMASK.invokeExact(attr, signals);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_setsigmask", t);
        }
    }

    @Override
    public int sigemptyset(long signals) {
        try {
            return (int) Spawn.SIGEMPTYSET.invokeExact(signals);
        } catch (Throwable t) {
            throw rethrow("sigemptyset", t);
        }
    }

    @Override
    public int sigfillset(long signals) {
        try {
            return (int) Spawn.SIGFILLSET.invokeExact(signals);
        } catch (Throwable t) {
            throw rethrow("sigfillset", t);
        }
    }

    @Override
    public int posixSpawn(long pid, long path, long actions, long attr, long argv, long envp) {
        try {
            return (int) Spawn.POSIX_SPAWN.invokeExact(pid, path, actions, attr, argv, envp);
        } catch (Throwable t) {
            throw rethrow("posix_spawn", t);
        }
    }

    @Override
    public int waitpid(int pid, long status, int options) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Processes.WAITPID.invokeExact(state, pid, status, options), state);
        } catch (Throwable t) {
            throw rethrow("waitpid", t);
        }
    }

    @Override
    public int kill(int pid, int signal) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Processes.KILL.invokeExact(state, pid, signal), state);
        } catch (Throwable t) {
            throw rethrow("kill", t);
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
    public int posixOpenpt(int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Terminals.POSIX_OPENPT.invokeExact(state, flags), state);
        } catch (Throwable t) {
            throw rethrow("posix_openpt", t);
        }
    }

    @Override
    public int grantpt(int fd) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Terminals.GRANTPT.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow("grantpt", t);
        }
    }

    @Override
    public int unlockpt(int fd) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Terminals.UNLOCKPT.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow("unlockpt", t);
        }
    }

    @Override
    public int ptsnameR(int fd, long buffer, long length) {
        try {
            return (int) Terminals.PTSNAME_R.invokeExact(fd, buffer, length);
        } catch (Throwable t) {
            throw rethrow("ptsname_r", t);
        }
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Sockets.SOCKET.invokeExact(state, domain, type, protocol), state);
        } catch (Throwable t) {
            throw rethrow("socket", t);
        }
    }

    @Override
    public int bind(int fd, long address, int length) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Sockets.BIND.invokeExact(state, fd, address, length), state);
        } catch (Throwable t) {
            throw rethrow("bind", t);
        }
    }

    @Override
    public int listen(int fd, int backlog) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Sockets.LISTEN.invokeExact(state, fd, backlog), state);
        } catch (Throwable t) {
            throw rethrow("listen", t);
        }
    }

    @Override
    public int accept4(int fd, long address, long length, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Sockets.ACCEPT4.invokeExact(state, fd, address, length, flags), state);
        } catch (Throwable t) {
            throw rethrow("accept4", t);
        }
    }

    @Override
    public long recvmsg(int fd, long message, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((long) Sockets.RECVMSG.invokeExact(state, fd, message, flags), state);
        } catch (Throwable t) {
            throw rethrow("recvmsg", t);
        }
    }

    @Override
    public int getsockopt(int fd, int level, int name, long value, long length) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Sockets.GETSOCKOPT.invokeExact(state, fd, level, name, value, length), state);
        } catch (Throwable t) {
            throw rethrow("getsockopt", t);
        }
    }

    @Override
    public void sync() {
        try {
            Power.SYNC.invokeExact();
        } catch (Throwable t) {
            throw rethrow("sync", t);
        }
    }

    @Override
    public int reboot(int command) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) Power.REBOOT.invokeExact(state, command), state);
        } catch (Throwable t) {
            throw rethrow("reboot", t);
        }
    }

    private static final class Strings {
        static final MethodHandle STRERROR = link("strerror", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    }

    private static final class Fds {
        static final MethodHandle READ =
                linkErrno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle WRITE =
                linkErrno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle CLOSE = linkErrno("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle OPEN = linkErrno("open",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
        static final MethodHandle PIPE2 = linkErrno("pipe2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle DUP2 = linkErrno("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle FCNTL = linkErrno("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
        static final MethodHandle IOCTL = linkErrno("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    }

    private static final class Events {
        static final MethodHandle POLL =
                linkErrno("poll", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
        static final MethodHandle EVENTFD = linkErrno("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle INOTIFY_INIT1 = linkErrno("inotify_init1", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle INOTIFY_ADD_WATCH =
                linkErrno("inotify_add_watch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle INOTIFY_RM_WATCH =
                linkErrno("inotify_rm_watch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Memory {
        static final MethodHandle MMAP = linkErrno("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        static final MethodHandle MUNMAP = linkErrno("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle MEMFD_CREATE =
                linkErrno("memfd_create", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle FTRUNCATE =
                linkErrno("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    }

    private static final class Mounts {
        static final MethodHandle MOUNT = linkErrno("mount",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        static final MethodHandle UMOUNT2 = linkErrno("umount2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle MKDIRAT =
                linkErrno("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
    }

    private static final class Syscall {
        static final MethodHandle SYSCALL = linkErrno("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    private static final class Spawn {
        static final MethodHandle FA_INIT =
                link("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle FA_DESTROY =
                link("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle FA_DUP2 = link("posix_spawn_file_actions_adddup2",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
        static final MethodHandle FA_OPEN = link("posix_spawn_file_actions_addopen",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
        static final MethodHandle FA_CHDIR =
                link("posix_spawn_file_actions_addchdir_np", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle FA_CLOSEFROM =
                link("posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle ATTR_INIT = link("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle ATTR_DESTROY =
                link("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle ATTR_SETFLAGS =
                link("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_SHORT));
        static final MethodHandle ATTR_SETSIGDEFAULT =
                link("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle ATTR_SETSIGMASK =
                link("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle SIGEMPTYSET = link("sigemptyset", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle SIGFILLSET = link("sigfillset", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle POSIX_SPAWN = link("posix_spawn",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    }

    private static final class Processes {
        static final MethodHandle WAITPID =
                linkErrno("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle KILL = linkErrno("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle SETSID = linkErrno("setsid", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle SETNS = linkErrno("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Terminals {
        static final MethodHandle POSIX_OPENPT = linkErrno("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle GRANTPT = linkErrno("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle UNLOCKPT = linkErrno("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle PTSNAME_R =
                link("ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    private static final class Sockets {
        static final MethodHandle SOCKET =
                linkErrno("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle BIND =
                linkErrno("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle LISTEN = linkErrno("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle ACCEPT4 =
                linkErrno("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
        static final MethodHandle RECVMSG =
                linkErrno("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle GETSOCKOPT = linkErrno("getsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    private static final class Power {
        static final MethodHandle SYNC = link("sync", FunctionDescriptor.ofVoid());
        static final MethodHandle REBOOT = linkErrno("reboot", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
}
