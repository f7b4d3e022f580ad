package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An open file descriptor the agent owns (a pipe end or a pty master). Writes and close are
 * serialized, so a late write after close fails cleanly instead of hitting a reused descriptor.
 */
public final class Fd implements AutoCloseable {

    private final int fd;
    private boolean closed;

    Fd(int fd) {
        this.fd = fd;
    }

    public int value() {
        return fd;
    }

    /**
     * Reads up to {@code buffer.byteSize()} bytes; returns the count, or -1 at end of file. EIO counts as
     * end of file: a pty master reports it once every slave descriptor is closed.
     */
    public int read(MemorySegment buffer) throws IOException {
        while (true) {
            long n = LIBC.read(fd, buffer.address(), buffer.byteSize());
            if (n > 0) {
                return (int) n;
            }
            if (n == 0) {
                return -1;
            }
            int errno = (int) -n;
            if (errno == Libc.EIO) {
                return -1;
            }
            if (errno != Libc.EINTR) {
                throw new ErrnoException("read", errno);
            }
        }
    }

    /** Writes all of {@code data}; fails with {@link IOException} once closed or when the reader is gone. */
    public synchronized void write(byte[] data) throws IOException {
        if (closed) {
            throw new IOException("descriptor closed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(Math.max(1, data.length));
            bytes.asByteBuffer().put(0, data);
            long offset = 0;
            while (offset < data.length) {
                long n = LIBC.write(fd, bytes.address() + offset, data.length - offset);
                if (n >= 0) {
                    offset += n;
                } else if (n != -Libc.EINTR) {
                    throw new ErrnoException("write", (int) -n);
                }
            }
        }
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LIBC.close(fd);
    }

    @Override
    public String toString() {
        return "fd " + fd;
    }
}
