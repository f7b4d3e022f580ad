package io.podvisor.hypervisor.os;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.NativeMemory;
import java.lang.foreign.Arena;

import static io.podvisor.libc.Libc.LIBC;

/** Shared memory files and their mappings: the guest RAM a vhost-user front-end hands over. */
public final class SharedMemory {
    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_SHARED = 0x1;
    private static final int MFD_CLOEXEC = 0x1;

    private SharedMemory() {}

    /** mmap(2) of {@code length} bytes of {@code fd}, shared and read-write; returns the address. */
    public static long map(int fd, long length) throws ErrnoException {
        return ErrnoException.check(LIBC.mmap(0, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), "mmap");
    }

    public static void unmap(long address, long length) {
        LIBC.munmap(address, length);
    }

    /** A new memfd of {@code size} bytes (close-on-exec). */
    public static int memfd(String name, long size) throws ErrnoException {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = ErrnoException.check(LIBC.memfdCreate(NativeMemory.cString(arena, name), MFD_CLOEXEC), "memfd_create");
        }
        int rc = LIBC.ftruncate(fd, size);
        if (rc < 0) {
            LIBC.close(fd);
            throw new ErrnoException("ftruncate", -rc);
        }
        return fd;
    }
}
