package io.podvisor.libc;

import org.graalvm.nativeimage.c.function.CFunction;
import org.graalvm.nativeimage.c.type.CCharPointer;
import org.graalvm.nativeimage.c.type.CIntPointer;
import org.graalvm.nativeimage.c.type.CTypeConversion;

/**
 * {@link Libc} as GraalVM {@code @CFunction}s, for the shim and the agent built as native images: the builder
 * links these libc symbols into the image. Pointers cross as {@code long}, which x86_64 and aarch64 pass like
 * pointers.
 *
 * <p>Each call leaves the thread in native state, so a blocking read, poll or waitpid does not hold up the
 * garbage collector, and errno is read right after it returns. Between the two only the image's return from
 * native runs, which at most waits on a lock while a safepoint ends and makes no call that sets errno; the
 * image's own libc wrappers read errno the same way.
 */
final class CFunctionLibc implements Libc {

    private static int orErrno(int result) {
        return result < 0 ? -C.errnoLocation().read() : result;
    }

    private static long orErrno(long result) {
        return result < 0 ? -C.errnoLocation().read() : result;
    }

    @Override
    public String strerror(int errno) {
        CCharPointer text = C.strerror(errno);
        return text.isNull() ? "error " + errno : CTypeConversion.toJavaString(text);
    }

    @Override
    public long read(int fd, long buffer, long count) {
        return orErrno(C.read(fd, buffer, count));
    }

    @Override
    public long write(int fd, long buffer, long count) {
        return orErrno(C.write(fd, buffer, count));
    }

    @Override
    public int close(int fd) {
        return orErrno(C.close(fd));
    }

    @Override
    public int open(long path, int flags, int mode) {
        return orErrno(C.open(path, flags, mode));
    }

    @Override
    public int pipe2(long fds, int flags) {
        return orErrno(C.pipe2(fds, flags));
    }

    @Override
    public int dup2(int fd, int newFd) {
        return orErrno(C.dup2(fd, newFd));
    }

    @Override
    public int fcntl(int fd, int command, int argument) {
        return orErrno(C.fcntl(fd, command, argument));
    }

    @Override
    public int ioctl(int fd, long request, long argument) {
        return orErrno(C.ioctl(fd, request, argument));
    }

    @Override
    public int poll(long fds, long count, int timeoutMillis) {
        return orErrno(C.poll(fds, count, timeoutMillis));
    }

    @Override
    public int eventfd(int initialValue, int flags) {
        return orErrno(C.eventfd(initialValue, flags));
    }

    @Override
    public int inotifyInit1(int flags) {
        return orErrno(C.inotify_init1(flags));
    }

    @Override
    public int inotifyAddWatch(int fd, long path, int mask) {
        return orErrno(C.inotify_add_watch(fd, path, mask));
    }

    @Override
    public int inotifyRmWatch(int fd, int watch) {
        return orErrno(C.inotify_rm_watch(fd, watch));
    }

    @Override
    public long mmap(long address, long length, int protection, int flags, int fd, long offset) {
        return orErrno(C.mmap(address, length, protection, flags, fd, offset));
    }

    @Override
    public int munmap(long address, long length) {
        return orErrno(C.munmap(address, length));
    }

    @Override
    public int memfdCreate(long name, int flags) {
        return orErrno(C.memfd_create(name, flags));
    }

    @Override
    public int ftruncate(int fd, long length) {
        return orErrno(C.ftruncate(fd, length));
    }

    @Override
    public int mount(long source, long target, long fstype, long flags, long data) {
        return orErrno(C.mount(source, target, fstype, flags, data));
    }

    @Override
    public int umount2(long target, int flags) {
        return orErrno(C.umount2(target, flags));
    }

    @Override
    public int mkdirat(int dirFd, long path, int mode) {
        return orErrno(C.mkdirat(dirFd, path, mode));
    }

    @Override
    public long syscall(long number, long a1, long a2, long a3, long a4, long a5) {
        return orErrno(C.syscall(number, a1, a2, a3, a4, a5));
    }

    @Override
    public int posixSpawnFileActionsInit(long actions) {
        return C.posix_spawn_file_actions_init(actions);
    }

    @Override
    public int posixSpawnFileActionsDestroy(long actions) {
        return C.posix_spawn_file_actions_destroy(actions);
    }

    @Override
    public int posixSpawnFileActionsAddDup2(long actions, int fd, int newFd) {
        return C.posix_spawn_file_actions_adddup2(actions, fd, newFd);
    }

    @Override
    public int posixSpawnFileActionsAddOpen(long actions, int fd, long path, int flags, int mode) {
        return C.posix_spawn_file_actions_addopen(actions, fd, path, flags, mode);
    }

    @Override
    public int posixSpawnFileActionsAddChdir(long actions, long path) {
        return C.posix_spawn_file_actions_addchdir_np(actions, path);
    }

    @Override
    public int posixSpawnFileActionsAddClosefrom(long actions, int lowFd) {
        return C.posix_spawn_file_actions_addclosefrom_np(actions, lowFd);
    }

    @Override
    public int posixSpawnattrInit(long attr) {
        return C.posix_spawnattr_init(attr);
    }

    @Override
    public int posixSpawnattrDestroy(long attr) {
        return C.posix_spawnattr_destroy(attr);
    }

    @Override
    public int posixSpawnattrSetflags(long attr, short flags) {
        return C.posix_spawnattr_setflags(attr, flags);
    }

    @Override
    public int posixSpawnattrSetsigdefault(long attr, long signals) {
        return C.posix_spawnattr_setsigdefault(attr, signals);
    }

    @Override
    public int posixSpawnattrSetsigmask(long attr, long signals) {
        return C.posix_spawnattr_setsigmask(attr, signals);
    }

    @Override
    public int sigemptyset(long signals) {
        return C.sigemptyset(signals);
    }

    @Override
    public int sigfillset(long signals) {
        return C.sigfillset(signals);
    }

    @Override
    public int posixSpawn(long pid, long path, long actions, long attr, long argv, long envp) {
        return C.posix_spawn(pid, path, actions, attr, argv, envp);
    }

    @Override
    public int waitpid(int pid, long status, int options) {
        return orErrno(C.waitpid(pid, status, options));
    }

    @Override
    public int kill(int pid, int signal) {
        return orErrno(C.kill(pid, signal));
    }

    @Override
    public int setsid() {
        return orErrno(C.setsid());
    }

    @Override
    public int setns(int fd, int namespaceType) {
        return orErrno(C.setns(fd, namespaceType));
    }

    @Override
    public int posixOpenpt(int flags) {
        return orErrno(C.posix_openpt(flags));
    }

    @Override
    public int grantpt(int fd) {
        return orErrno(C.grantpt(fd));
    }

    @Override
    public int unlockpt(int fd) {
        return orErrno(C.unlockpt(fd));
    }

    @Override
    public int ptsnameR(int fd, long buffer, long length) {
        return C.ptsname_r(fd, buffer, length);
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        return orErrno(C.socket(domain, type, protocol));
    }

    @Override
    public int bind(int fd, long address, int length) {
        return orErrno(C.bind(fd, address, length));
    }

    @Override
    public int listen(int fd, int backlog) {
        return orErrno(C.listen(fd, backlog));
    }

    @Override
    public int accept4(int fd, long address, long length, int flags) {
        return orErrno(C.accept4(fd, address, length, flags));
    }

    @Override
    public long recvmsg(int fd, long message, int flags) {
        return orErrno(C.recvmsg(fd, message, flags));
    }

    @Override
    public int getsockopt(int fd, int level, int name, long value, long length) {
        return orErrno(C.getsockopt(fd, level, name, value, length));
    }

    @Override
    public void sync() {
        C.sync();
    }

    @Override
    public int reboot(int command) {
        return orErrno(C.reboot(command));
    }

    /** The libc symbols; a method's name is its symbol unless the annotation names one. */
    private static final class C {
        /** glibc's address of the calling thread's errno; staying in Java state, it cannot be delayed. */
        @CFunction(value = "__errno_location", transition = CFunction.Transition.NO_TRANSITION)
        static native CIntPointer errnoLocation();

        @CFunction
        static native CCharPointer strerror(int errno);

        @CFunction
        static native long read(int fd, long buffer, long count);

        @CFunction
        static native long write(int fd, long buffer, long count);

        @CFunction
        static native int close(int fd);

        /** Variadic in C; the x86_64 and aarch64 Linux ABIs pass its int arguments as fixed ones. */
        @CFunction
        static native int open(long path, int flags, int mode);

        @CFunction
        static native int pipe2(long fds, int flags);

        @CFunction
        static native int dup2(int fd, int newFd);

        /** Variadic in C, like open. */
        @CFunction
        static native int fcntl(int fd, int command, int argument);

        /** Variadic in C, like open. */
        @CFunction
        static native int ioctl(int fd, long request, long argument);

        @CFunction
        static native int poll(long fds, long count, int timeoutMillis);

        @CFunction
        static native int eventfd(int initialValue, int flags);

        @CFunction
        static native int inotify_init1(int flags);

        @CFunction
        static native int inotify_add_watch(int fd, long path, int mask);

        @CFunction
        static native int inotify_rm_watch(int fd, int watch);

        @CFunction
        static native long mmap(long address, long length, int protection, int flags, int fd, long offset);

        @CFunction
        static native int munmap(long address, long length);

        @CFunction
        static native int memfd_create(long name, int flags);

        @CFunction
        static native int ftruncate(int fd, long length);

        @CFunction
        static native int mount(long source, long target, long fstype, long flags, long data);

        @CFunction
        static native int umount2(long target, int flags);

        @CFunction
        static native int mkdirat(int dirFd, long path, int mode);

        /** Variadic in C, like open. */
        @CFunction
        static native long syscall(long number, long a1, long a2, long a3, long a4, long a5);

        @CFunction
        static native int posix_spawn_file_actions_init(long actions);

        @CFunction
        static native int posix_spawn_file_actions_destroy(long actions);

        @CFunction
        static native int posix_spawn_file_actions_adddup2(long actions, int fd, int newFd);

        @CFunction
        static native int posix_spawn_file_actions_addopen(long actions, int fd, long path, int flags, int mode);

        @CFunction
        static native int posix_spawn_file_actions_addchdir_np(long actions, long path);

        @CFunction
        static native int posix_spawn_file_actions_addclosefrom_np(long actions, int lowFd);

        @CFunction
        static native int posix_spawnattr_init(long attr);

        @CFunction
        static native int posix_spawnattr_destroy(long attr);

        @CFunction
        static native int posix_spawnattr_setflags(long attr, short flags);

        @CFunction
        static native int posix_spawnattr_setsigdefault(long attr, long signals);

        @CFunction
        static native int posix_spawnattr_setsigmask(long attr, long signals);

        @CFunction
        static native int sigemptyset(long signals);

        @CFunction
        static native int sigfillset(long signals);

        @CFunction
        static native int posix_spawn(long pid, long path, long actions, long attr, long argv, long envp);

        @CFunction
        static native int waitpid(int pid, long status, int options);

        @CFunction
        static native int kill(int pid, int signal);

        @CFunction
        static native int setsid();

        @CFunction
        static native int setns(int fd, int namespaceType);

        @CFunction
        static native int posix_openpt(int flags);

        @CFunction
        static native int grantpt(int fd);

        @CFunction
        static native int unlockpt(int fd);

        @CFunction
        static native int ptsname_r(int fd, long buffer, long length);

        @CFunction
        static native int socket(int domain, int type, int protocol);

        @CFunction
        static native int bind(int fd, long address, int length);

        @CFunction
        static native int listen(int fd, int backlog);

        @CFunction
        static native int accept4(int fd, long address, long length, int flags);

        @CFunction
        static native long recvmsg(int fd, long message, int flags);

        @CFunction
        static native int getsockopt(int fd, int level, int name, long value, long length);

        @CFunction
        static native void sync();

        @CFunction
        static native int reboot(int command);
    }
}
