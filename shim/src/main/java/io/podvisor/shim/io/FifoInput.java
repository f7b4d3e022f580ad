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
        boolean unblockOpen;
        FileChannel ch;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            ch = channel;
            unblockOpen = opening;
        }
        if (ch != null) {
            ch.close();
        } else if (unblockOpen) {
            // A reader blocked in open(2) returns once any writer appears; O_RDWR never blocks on a FIFO.
            FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE).close();
        }
    }

    @Override
    public void close() throws IOException {
        closeInput();
    }
}
