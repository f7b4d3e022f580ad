package io.podvisor.hypervisor.vsock.connection;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

/**
 * Guest-to-host bytes a connection accepted but the host socket has not taken yet. A ring of fixed
 * capacity (the buf_alloc advertised to the guest), allocated on first use.
 */
final class TxBuffer {
    private final int capacity;
    private ByteBuffer ring;
    private long pushed;
    private long flushed;

    TxBuffer(int capacity) {
        this.capacity = capacity;
    }

    int size() {
        return (int) (pushed - flushed);
    }

    int free() {
        return capacity - size();
    }

    boolean isEmpty() {
        return pushed == flushed;
    }

    /** Appends what remains in {@code sources}; the caller has checked it fits. */
    void push(ByteBuffer[] sources) {
        for (ByteBuffer src : sources) {
            while (src.hasRemaining()) {
                if (ring == null) {
                    ring = ByteBuffer.allocateDirect(capacity);
                }
                if (size() == capacity) {
                    throw new IllegalStateException("TX buffer overflow");
                }
                int at = (int) (pushed % capacity);
                int n = Math.min(src.remaining(), Math.min(capacity - at, free()));
                ByteBuffer part = src.slice(src.position(), n);
                ring.put(at, part, 0, n);
                src.position(src.position() + n);
                pushed += n;
            }
        }
    }

    /** Writes as much as the channel takes; returns the bytes written. */
    long flushTo(GatheringByteChannel channel) throws IOException {
        long total = 0;
        while (!isEmpty()) {
            int at = (int) (flushed % capacity);
            int n = Math.min(size(), capacity - at);
            int written = channel.write(ring.slice(at, n));
            flushed += written;
            total += written;
            if (written < n) {
                break;
            }
        }
        return total;
    }
}
