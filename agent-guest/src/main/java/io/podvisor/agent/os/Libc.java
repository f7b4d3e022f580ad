package io.podvisor.agent.os;

import java.io.IOException;

/**
 * The libc calls the agent makes. On the JVM {@link FfmLibc} makes them through java.lang.foreign; inside a
 * GraalVM native image, whose builder cannot compile FFM downcalls here, {@link CFunctionLibc} makes them as
 * {@code @CFunction}s. {@link #LIBC} is the one for where the agent runs; the other is never loaded.
 *
 * <p>Pointers are raw addresses ({@code MemorySegment.address()}) of memory the caller owns, 0 for NULL. A call
 * that sets errno returns what libc returns, or {@code -errno} when it fails: the implementation reads errno
 * at once after the call, before anything else can overwrite it. posix_spawn and its helpers, and
 * ptsname_r, return their error number as libc does.
 */
interface Libc {

    Libc LIBC = ImageCode.NATIVE ? new CFunctionLibc() : new FfmLibc();

    int O_RDWR = 0x2;
    int O_NOCTTY = 0x100;
    int O_CLOEXEC = 0x80000;
    int EINTR = 4;
    int EIO = 5;
    int ECHILD = 10;
    int EPIPE = 32;
    int ESRCH = 3;
    int ENOENT = 2;
    int EAGAIN = 11;

    static IOException failure(String call, int errno) {
        return new IOException(call + " failed: " + LIBC.strerror(errno) + " (errno " + errno + ")");
    }

    /** The text of an error number, or "error N" when libc has none to give. */
    String strerror(int errno);

    // File descriptors.

    int pipe2(long fds, int flags);

    long read(int fd, long buffer, long count);

    long write(int fd, long buffer, long count);

    int close(int fd);

    // Process creation and control.

    int posixSpawnFileActionsInit(long actions);

    int posixSpawnFileActionsDestroy(long actions);

    int posixSpawnFileActionsAddDup2(long actions, int fd, int newFd);

    int posixSpawnFileActionsAddOpen(long actions, int fd, long path, int flags, int mode);

    int posixSpawnFileActionsAddChdir(long actions, long path);

    int posixSpawnFileActionsAddClosefrom(long actions, int lowFd);

    int posixSpawnattrInit(long attr);

    int posixSpawnattrDestroy(long attr);

    int posixSpawnattrSetflags(long attr, short flags);

    int posixSpawnattrSetsigdefault(long attr, long signals);

    int posixSpawnattrSetsigmask(long attr, long signals);

    int sigemptyset(long signals);

    int sigfillset(long signals);

    int posixSpawn(long pid, long path, long actions, long attr, long argv, long envp);

    int waitpid(int pid, long status, int options);

    int kill(int pid, int signal);

    // Pseudo-terminals.

    int posixOpenpt(int flags);

    int grantpt(int fd);

    int unlockpt(int fd);

    int ptsnameR(int fd, long buffer, long length);

    /** ioctl with a pointer argument. */
    int ioctl(int fd, long request, long argument);

    int mount(long source, long target, long fstype, long flags, long data);

    // Unix sockets.

    int socket(int domain, int type, int protocol);

    int bind(int fd, long address, int length);

    int listen(int fd, int backlog);

    int accept4(int fd, long address, long length, int flags);

    long recvmsg(int fd, long message, int flags);

    // Waiting on descriptors.

    int poll(long fds, long count, int timeoutMillis);

    int inotifyInit1(int flags);

    int inotifyAddWatch(int fd, long path, int mask);

    int inotifyRmWatch(int fd, int watch);

    /** pidfd_open(2), through syscall(2) as older glibc lacks a wrapper. */
    int pidfdOpen(int pid, int flags);

    // Powering off.

    void sync();

    int reboot(int command);

    /** posix_spawn's opaque glibc structures, sized with room to spare (x86_64: 80, 336 and 128 bytes). */
    final class Spawn {
        static final long FILE_ACTIONS_SIZE = 256;
        static final long ATTR_SIZE = 512;
        static final long SIGSET_SIZE = 128;

        static final short POSIX_SPAWN_SETSIGDEF = 0x04;
        static final short POSIX_SPAWN_SETSIGMASK = 0x08;
        static final short POSIX_SPAWN_SETSID = 0x80;

        private Spawn() {}
    }

    final class Pty {
        static final long TIOCSWINSZ = 0x5414;

        private Pty() {}
    }

    final class Sockets {
        static final int AF_UNIX = 1;
        static final int SOCK_STREAM = 1;
        static final int SOCK_CLOEXEC = 0x80000;
        static final int MSG_CMSG_CLOEXEC = 0x40000000;
        static final int SOL_SOCKET = 1;
        static final int SCM_RIGHTS = 1;

        private Sockets() {}
    }

    final class Events {
        static final short POLLIN = 0x1;
        static final long SYS_PIDFD_OPEN = 434;

        private Events() {}
    }

    final class Power {
        static final int LINUX_REBOOT_CMD_POWER_OFF = 0x4321FEDC;

        private Power() {}
    }
}
