package io.podvisor.shim.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads containerd's stdin FIFO. The FIFO is opened on the first read (opening blocks until the
 * client opens its end); the stream ends when the client closes its end or on {@link #closeInput()}
 * (CloseIO), whichever comes first, even while a read or the open is blocked.
 */
final class FifoInput extends InputStream {
    private final Path path;
    private FileChannel channel;
    private boolean opening;
    private FileChannel unblocker;
    private volatile boolean closed;

    FifoInput(Path path) {
        this.path = path;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        FileChannel ch = channel();
        if (ch == null) {
            return -1;
        }
        try {
            return ch.read(ByteBuffer.wrap(buffer, offset, length));
        } catch (ClosedChannelException e) {
            if (closed) {
                return -1;
            }
            throw e;
        }
    }

    private FileChannel channel() throws IOException {
        synchronized (this) {
            if (closed) {
                return null;
            }
            if (channel != null) {
                return channel;
            }
            opening = true;
        }
        FileChannel opened;
        try {
            opened = FileChannel.open(path, StandardOpenOption.READ);
        } finally {
            synchronized (this) {
                opening = false;
            }
        }
        synchronized (this) {
            if (unblocker != null) {
                unblocker.close();
                unblocker = null;
            }
            if (closed) {
                opened.close();
                return null;
            }
            channel = opened;
            return opened;
        }
    }

    /** Ends the stream: blocked and later reads return EOF. */
    void closeInput() throws IOException {
        FileChannel ch;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            ch = channel;
            if (ch == null && opening) {
                // A reader in (or about to enter) open(2) returns once a writer exists; O_RDWR never
                // blocks on a FIFO. The reader closes this end once its open returned.
                unblocker = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
        }
        if (ch != null) {
            ch.close();
        }
    }

    @Override
    public void close() throws IOException {
        closeInput();
    }
}
