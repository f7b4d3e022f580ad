package io.podvisor.agent.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
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

/**
 * {@link Libc} through FFM downcalls, for the JVM. Pointers cross as {@code long}, which x86_64 and aarch64
 * pass like pointers. Each group of calls links lazily, so the agent's start-up pays only for the calls it
 * makes.
 */
final class FfmLibc implements Libc {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** Where a thread's calls leave errno: the downcall copies it there before returning. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private static MethodHandle link(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A handle taking the errno capture segment as its first argument. */
    private static MethodHandle linkErrno(String name, FunctionDescriptor descriptor) {
        return link(name, descriptor, Linker.Option.captureCallState("errno"));
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
            MemorySegment text = (MemorySegment) StringCalls.STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "error " + errno;
        }
    }

    @Override
    public int pipe2(long fds, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) FdCalls.PIPE2.invokeExact(state, fds, flags), state);
        } catch (Throwable t) {
            throw rethrow("pipe2", t);
        }
    }

    @Override
    public long read(int fd, long buffer, long count) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((long) FdCalls.READ.invokeExact(state, fd, buffer, count), state);
        } catch (Throwable t) {
            throw rethrow("read", t);
        }
    }

    @Override
    public long write(int fd, long buffer, long count) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((long) FdCalls.WRITE.invokeExact(state, fd, buffer, count), state);
        } catch (Throwable t) {
            throw rethrow("write", t);
        }
    }

    @Override
    public int close(int fd) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) FdCalls.CLOSE.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow("close", t);
        }
    }

    @Override
    public int posixSpawnFileActionsInit(long actions) {
        try {
            return (int) SpawnCalls.FA_INIT.invokeExact(actions);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_init", t);
        }
    }

    @Override
    public int posixSpawnFileActionsDestroy(long actions) {
        try {
            return (int) SpawnCalls.FA_DESTROY.invokeExact(actions);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_destroy", t);
        }
    }

    @Override
    public int posixSpawnFileActionsAddDup2(long actions, int fd, int newFd) {
        try {
            return (int) SpawnCalls.FA_DUP2.invokeExact(actions, fd, newFd);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_adddup2", t);
        }
    }

    @Override
    public int posixSpawnFileActionsAddOpen(long actions, int fd, long path, int flags, int mode) {
        try {
            return (int) SpawnCalls.FA_OPEN.invokeExact(actions, fd, path, flags, mode);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_addopen", t);
        }
    }

    @Override
    public int posixSpawnFileActionsAddChdir(long actions, long path) {
        try {
            return (int) SpawnCalls.FA_CHDIR.invokeExact(actions, path);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_addchdir_np", t);
        }
    }

    @Override
    public int posixSpawnFileActionsAddClosefrom(long actions, int lowFd) {
        try {
            return (int) SpawnCalls.FA_CLOSEFROM.invokeExact(actions, lowFd);
        } catch (Throwable t) {
            throw rethrow("posix_spawn_file_actions_addclosefrom_np", t);
        }
    }

    @Override
    public int posixSpawnattrInit(long attr) {
        try {
            return (int) SpawnCalls.ATTR_INIT.invokeExact(attr);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_init", t);
        }
    }

    @Override
    public int posixSpawnattrDestroy(long attr) {
        try {
            return (int) SpawnCalls.ATTR_DESTROY.invokeExact(attr);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_destroy", t);
        }
    }

    @Override
    public int posixSpawnattrSetflags(long attr, short flags) {
        try {
            return (int) SpawnCalls.ATTR_SETFLAGS.invokeExact(attr, flags);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_setflags", t);
        }
    }

    @Override
    public int posixSpawnattrSetsigdefault(long attr, long signals) {
        try {
            return (int) SpawnCalls.ATTR_SETSIGDEFAULT.invokeExact(attr, signals);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_setsigdefault", t);
        }
    }

    @Override
    public int posixSpawnattrSetsigmask(long attr, long signals) {
        try {
            return (int) SpawnCalls.ATTR_SETSIGMASK.invokeExact(attr, signals);
        } catch (Throwable t) {
            throw rethrow("posix_spawnattr_setsigmask", t);
        }
    }

    @Override
    public int sigemptyset(long signals) {
        try {
            return (int) SpawnCalls.SIGEMPTYSET.invokeExact(signals);
        } catch (Throwable t) {
            throw rethrow("sigemptyset", t);
        }
    }

    @Override
    public int sigfillset(long signals) {
        try {
            return (int) SpawnCalls.SIGFILLSET.invokeExact(signals);
        } catch (Throwable t) {
            throw rethrow("sigfillset", t);
        }
    }

    @Override
    public int posixSpawn(long pid, long path, long actions, long attr, long argv, long envp) {
        try {
            return (int) SpawnCalls.POSIX_SPAWN.invokeExact(pid, path, actions, attr, argv, envp);
        } catch (Throwable t) {
            throw rethrow("posix_spawn", t);
        }
    }

    @Override
    public int waitpid(int pid, long status, int options) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) SpawnCalls.WAITPID.invokeExact(state, pid, status, options), state);
        } catch (Throwable t) {
            throw rethrow("waitpid", t);
        }
    }

    @Override
    public int kill(int pid, int signal) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) SpawnCalls.KILL.invokeExact(state, pid, signal), state);
        } catch (Throwable t) {
            throw rethrow("kill", t);
        }
    }

    @Override
    public int posixOpenpt(int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) TerminalCalls.POSIX_OPENPT.invokeExact(state, flags), state);
        } catch (Throwable t) {
            throw rethrow("posix_openpt", t);
        }
    }

    @Override
    public int grantpt(int fd) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) TerminalCalls.GRANTPT.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow("grantpt", t);
        }
    }

    @Override
    public int unlockpt(int fd) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) TerminalCalls.UNLOCKPT.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow("unlockpt", t);
        }
    }

    @Override
    public int ptsnameR(int fd, long buffer, long length) {
        try {
            return (int) TerminalCalls.PTSNAME_R.invokeExact(fd, buffer, length);
        } catch (Throwable t) {
            throw rethrow("ptsname_r", t);
        }
    }

    @Override
    public int ioctl(int fd, long request, long argument) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) TerminalCalls.IOCTL_PTR.invokeExact(state, fd, request, argument), state);
        } catch (Throwable t) {
            throw rethrow("ioctl", t);
        }
    }

    @Override
    public int mount(long source, long target, long fstype, long flags, long data) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) MountCalls.MOUNT.invokeExact(state, source, target, fstype, flags, data), state);
        } catch (Throwable t) {
            throw rethrow("mount", t);
        }
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) SocketCalls.SOCKET.invokeExact(state, domain, type, protocol), state);
        } catch (Throwable t) {
            throw rethrow("socket", t);
        }
    }

    @Override
    public int bind(int fd, long address, int length) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) SocketCalls.BIND.invokeExact(state, fd, address, length), state);
        } catch (Throwable t) {
            throw rethrow("bind", t);
        }
    }

    @Override
    public int listen(int fd, int backlog) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) SocketCalls.LISTEN.invokeExact(state, fd, backlog), state);
        } catch (Throwable t) {
            throw rethrow("listen", t);
        }
    }

    @Override
    public int accept4(int fd, long address, long length, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) SocketCalls.ACCEPT4.invokeExact(state, fd, address, length, flags), state);
        } catch (Throwable t) {
            throw rethrow("accept4", t);
        }
    }

    @Override
    public long recvmsg(int fd, long message, int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((long) SocketCalls.RECVMSG.invokeExact(state, fd, message, flags), state);
        } catch (Throwable t) {
            throw rethrow("recvmsg", t);
        }
    }

    @Override
    public int poll(long fds, long count, int timeoutMillis) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) EventCalls.POLL.invokeExact(state, fds, count, timeoutMillis), state);
        } catch (Throwable t) {
            throw rethrow("poll", t);
        }
    }

    @Override
    public int inotifyInit1(int flags) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) EventCalls.INOTIFY_INIT1.invokeExact(state, flags), state);
        } catch (Throwable t) {
            throw rethrow("inotify_init1", t);
        }
    }

    @Override
    public int inotifyAddWatch(int fd, long path, int mask) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) EventCalls.INOTIFY_ADD_WATCH.invokeExact(state, fd, path, mask), state);
        } catch (Throwable t) {
            throw rethrow("inotify_add_watch", t);
        }
    }

    @Override
    public int inotifyRmWatch(int fd, int watch) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) EventCalls.INOTIFY_RM_WATCH.invokeExact(state, fd, watch), state);
        } catch (Throwable t) {
            throw rethrow("inotify_rm_watch", t);
        }
    }

    @Override
    public int pidfdOpen(int pid, int flags) {
        MemorySegment state = STATE.get();
        try {
            return (int) orErrno((long) EventCalls.SYSCALL_2.invokeExact(state, Events.SYS_PIDFD_OPEN, (long) pid,
                    (long) flags), state);
        } catch (Throwable t) {
            throw rethrow("pidfd_open", t);
        }
    }

    @Override
    public void sync() {
        try {
            PowerCalls.SYNC.invokeExact();
        } catch (Throwable t) {
            throw rethrow("sync", t);
        }
    }

    @Override
    public int reboot(int command) {
        MemorySegment state = STATE.get();
        try {
            return orErrno((int) PowerCalls.REBOOT.invokeExact(state, command), state);
        } catch (Throwable t) {
            throw rethrow("reboot", t);
        }
    }

    private static final class StringCalls {
        static final MethodHandle STRERROR = link("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private static final class FdCalls {
        static final MethodHandle PIPE2 = linkErrno("pipe2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle READ =
                linkErrno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle WRITE =
                linkErrno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle CLOSE = linkErrno("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class SpawnCalls {
        static final MethodHandle FA_INIT =
                link("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle FA_DESTROY =
                link("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        static final MethodHandle FA_DUP2 = link("posix_spawn_file_actions_adddup2",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
        static final MethodHandle FA_OPEN = link("posix_spawn_file_actions_addopen",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
        static final MethodHandle FA_CHDIR = link("posix_spawn_file_actions_addchdir_np",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle FA_CLOSEFROM = link("posix_spawn_file_actions_addclosefrom_np",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
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
        static final MethodHandle WAITPID =
                linkErrno("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle KILL = linkErrno("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class TerminalCalls {
        static final MethodHandle POSIX_OPENPT = linkErrno("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle GRANTPT = linkErrno("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle UNLOCKPT = linkErrno("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle PTSNAME_R =
                link("ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle IOCTL_PTR = link("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
    }

    private static final class MountCalls {
        static final MethodHandle MOUNT = linkErrno("mount",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    }

    private static final class SocketCalls {
        static final MethodHandle SOCKET =
                linkErrno("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle BIND =
                linkErrno("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle LISTEN = linkErrno("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle ACCEPT4 =
                linkErrno("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
        static final MethodHandle RECVMSG =
                linkErrno("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    }

    private static final class EventCalls {
        static final MethodHandle POLL =
                linkErrno("poll", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
        static final MethodHandle INOTIFY_INIT1 = linkErrno("inotify_init1", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle INOTIFY_ADD_WATCH =
                linkErrno("inotify_add_watch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
        static final MethodHandle INOTIFY_RM_WATCH =
                linkErrno("inotify_rm_watch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle SYSCALL_2 = link("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    private static final class PowerCalls {
        static final MethodHandle SYNC = link("sync", FunctionDescriptor.ofVoid());
        static final MethodHandle REBOOT = linkErrno("reboot", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }
}
