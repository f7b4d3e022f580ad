package io.podvisor.hypervisor.os;

import org.graalvm.nativeimage.c.function.CFunction;
import org.graalvm.nativeimage.c.type.CCharPointer;
import org.graalvm.nativeimage.c.type.CIntPointer;
import org.graalvm.nativeimage.c.type.CTypeConversion;

/**
 * {@link Libc} as GraalVM {@code @CFunction}s, for the shim built as a native image: the builder links these
 * libc symbols into the image. Pointers cross as {@code long}, which x86_64 and aarch64 pass like pointers.
 *
 * <p>Each call leaves the thread in native state, so a blocking poll does not hold up the garbage collector,
 * and errno is read right after it returns; between the two only the image's return from native runs, which
 * makes no call that sets errno.
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
    public int eventfd(int initialValue, int flags) {
        return orErrno(C.eventfd(initialValue, flags));
    }

    @Override
    public int poll(long fds, long count, int timeoutMillis) {
        return orErrno(C.poll(fds, count, timeoutMillis));
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
    public int setsid() {
        return orErrno(C.setsid());
    }

    @Override
    public int setns(int fd, int namespaceType) {
        return orErrno(C.setns(fd, namespaceType));
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        return orErrno(C.socket(domain, type, protocol));
    }

    @Override
    public int getsockopt(int fd, int level, int name, long value, long length) {
        return orErrno(C.getsockopt(fd, level, name, value, length));
    }

    /** The libc symbols, by their C names. */
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
        static native int dup2(int fd, int newFd);

        /** Variadic in C, like open. */
        @CFunction
        static native int fcntl(int fd, int command, int argument);

        /** Variadic in C, like open. */
        @CFunction
        static native int ioctl(int fd, long request, long argument);

        @CFunction
        static native int eventfd(int initialValue, int flags);

        @CFunction
        static native int poll(long fds, long count, int timeoutMillis);

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
        static native int setsid();

        @CFunction
        static native int setns(int fd, int namespaceType);

        @CFunction
        static native int socket(int domain, int type, int protocol);

        @CFunction
        static native int getsockopt(int fd, int level, int name, long value, long length);
    }
}
