package io.podvisor.hypervisor.vsock.connection;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

/**
 * Guest-to-host bytes a connection accepted but the host socket has not taken yet. A ring of fixed
 * capacity (the buf_alloc advertised to the guest), taken from the VM's {@link BufferBudget} while
 * it holds bytes and given back (memory freed at once) when it drains.
 */
final class TxBuffer {
    private final int capacity;
    private final BufferBudget budget;
    private Arena arena;
    private ByteBuffer ring;
    private long pushed;
    private long flushed;

    TxBuffer(int capacity, BufferBudget budget) {
        this.capacity = capacity;
        this.budget = budget;
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

    /** Whether the ring's memory is held now. */
    boolean holdsMemory() {
        return ring != null;
    }

    /**
     * Appends what remains in {@code sources}; the caller has checked it fits. Returns false, taking
     * nothing, if the ring is needed and the VM's budget has no room for it.
     */
    boolean push(ByteBuffer[] sources) {
        for (ByteBuffer src : sources) {
            while (src.hasRemaining()) {
                if (ring == null) {
                    if (!budget.tryReserve(capacity)) {
                        return false;
                    }
                    arena = Arena.ofConfined();
                    ring = arena.allocate(capacity).asByteBuffer();
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
        return true;
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
        if (isEmpty()) {
            release();
        }
        return total;
    }

    /** Frees the ring and gives its bytes back to the budget; whatever it held is dropped. */
    void release() {
        if (ring != null) {
            ring = null;
            arena.close();
            arena = null;
            budget.release(capacity);
        }
        flushed = pushed;
    }
}
