package io.podvisor.libc;

/**
 * The libc calls of the host side (the shim, its vsock backend, its mounts and sockets) and of the guest agent
 * (processes, terminals, pipes). On the JVM {@link FfmLibc} makes them through java.lang.foreign; inside a
 * GraalVM native image, which has no FFM downcalls, {@link CFunctionLibc} makes them as {@code @CFunction}s.
 * {@link #LIBC} is the one for where the code runs; the other is never loaded.
 *
 * <p>Pointers are raw addresses ({@code MemorySegment.address()}) of memory the caller owns, 0 for NULL. A call
 * that sets errno returns what libc returns, or {@code -errno} when it fails: the implementation reads errno at
 * once after the call. posix_spawn and its helpers, and ptsname_r, return their error number as libc does.
 * {@link ErrnoException} turns a failure into an exception naming the call.
 */
public interface Libc {

    Libc LIBC = ImageCode.NATIVE ? new CFunctionLibc() : new FfmLibc();

    int ENOENT = 2;
    int ESRCH = 3;
    int EINTR = 4;
    int EIO = 5;
    int EAGAIN = 11;
    int EEXIST = 17;
    int EINVAL = 22;
    int ENOSYS = 38;
    int ELOOP = 40;

    int O_RDONLY = 0;
    int O_WRONLY = 0x1;
    int O_RDWR = 0x2;
    int O_CREAT = 0x40;
    int O_EXCL = 0x80;
    int O_NOCTTY = 0x100;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;

    /** The text of an error number, or "error N" when libc has none to give. */
    String strerror(int errno);

    // File descriptors.

    long read(int fd, long buffer, long count);

    long write(int fd, long buffer, long count);

    int close(int fd);

    /** Closes {@code fd} unless it is negative (none), ignoring errors: for cleanup paths. */
    default void closeQuietly(int fd) {
        if (fd >= 0) {
            close(fd);
        }
    }

    /** open(2); {@code mode} applies with O_CREAT. */
    int open(long path, int flags, int mode);

    int pipe2(long fds, int flags);

    int dup2(int fd, int newFd);

    /** fcntl with an int argument. */
    int fcntl(int fd, int command, int argument);

    /** ioctl with a pointer-sized argument. */
    int ioctl(int fd, long request, long argument);

    // Waiting on descriptors.

    int poll(long fds, long count, int timeoutMillis);

    int eventfd(int initialValue, int flags);

    int inotifyInit1(int flags);

    int inotifyAddWatch(int fd, long path, int mask);

    int inotifyRmWatch(int fd, int watch);

    // Memory.

    /** mmap(2): the address, or -errno (MAP_FAILED is -1, never a mapping's address). */
    long mmap(long address, long length, int protection, int flags, int fd, long offset);

    int munmap(long address, long length);

    int memfdCreate(long name, int flags);

    int ftruncate(int fd, long length);

    // Mounts and files.

    int mount(long source, long target, long fstype, long flags, long data);

    int umount2(long target, int flags);

    int mkdirat(int dirFd, long path, int mode);

    /** syscall(2) with up to five arguments (unused ones are ignored by the kernel), for calls glibc may lack. */
    long syscall(long number, long a1, long a2, long a3, long a4, long a5);

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

    int setsid();

    int setns(int fd, int namespaceType);

    // Pseudo-terminals.

    int posixOpenpt(int flags);

    int grantpt(int fd);

    int unlockpt(int fd);

    int ptsnameR(int fd, long buffer, long length);

    // Sockets.

    int socket(int domain, int type, int protocol);

    int bind(int fd, long address, int length);

    int listen(int fd, int backlog);

    int accept4(int fd, long address, long length, int flags);

    long recvmsg(int fd, long message, int flags);

    int getsockopt(int fd, int level, int name, long value, long length);

    // Powering off.

    void sync();

    int reboot(int command);
}
