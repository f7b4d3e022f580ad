package io.podvisor.hypervisor.vsock.connection;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TxBufferTest {

    /** A channel that takes at most {@code budget} bytes until given more, like a full socket. */
    private static final class SlowChannel implements GatheringByteChannel {
        final ByteArrayOutputStream taken = new ByteArrayOutputStream();
        int budget;

        @Override
        public int write(ByteBuffer src) {
            int n = Math.min(budget, src.remaining());
            byte[] b = new byte[n];
            src.get(b);
            taken.write(b, 0, n);
            budget -= n;
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                total += write(srcs[i]);
            }
            return total;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    private static byte[] bytes(int from, int count) {
        byte[] b = new byte[count];
        for (int i = 0; i < count; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    @Test
    void keepsBytesInOrderAcrossTheEndOfTheRing() throws Exception {
        TxBuffer buffer = new TxBuffer(16, new BufferBudget(1024));
        SlowChannel channel = new SlowChannel();
        buffer.push(new ByteBuffer[] {ByteBuffer.wrap(bytes(0, 12))});
        channel.budget = 10;
        assertEquals(10, buffer.flushTo(channel));
        buffer.push(new ByteBuffer[] {ByteBuffer.wrap(bytes(12, 8)), ByteBuffer.wrap(bytes(20, 6))});
        assertEquals(16, buffer.size());
        assertEquals(0, buffer.free());
        channel.budget = 100;
        assertEquals(16, buffer.flushTo(channel));
        assertTrue(buffer.isEmpty());
        assertArrayEquals(bytes(0, 26), channel.taken.toByteArray());
    }

    @Test
    void refusesMoreThanItsCapacity() {
        TxBuffer buffer = new TxBuffer(8, new BufferBudget(1024));
        assertThrows(IllegalStateException.class, () -> buffer.push(new ByteBuffer[] {ByteBuffer.wrap(bytes(0, 9))}));
    }

    @Test
    void pushTakesWhatAPartialWriteLeftInTheSourceBuffers() {
        TxBuffer buffer = new TxBuffer(8, new BufferBudget(1024));
        ByteBuffer src = ByteBuffer.wrap(bytes(0, 6));
        src.position(4);
        buffer.push(new ByteBuffer[] {src});
        assertEquals(2, buffer.size());
        assertEquals(0, src.remaining());
    }

    @Test
    void holdsItsRingFromTheVmBudgetOnlyWhileItHoldsBytes() throws Exception {
        BufferBudget budget = new BufferBudget(1024);
        TxBuffer buffer = new TxBuffer(16, budget);
        assertEquals(0, budget.used(), "an idle connection costs nothing");
        assertTrue(buffer.push(new ByteBuffer[] {ByteBuffer.wrap(bytes(0, 5))}));
        assertEquals(16, budget.used());
        SlowChannel channel = new SlowChannel();
        channel.budget = 100;
        buffer.flushTo(channel);
        assertEquals(0, budget.used(), "drained, the ring is given back");
        assertFalse(buffer.holdsMemory());
        assertTrue(buffer.push(new ByteBuffer[] {ByteBuffer.wrap(bytes(5, 3))}));
        buffer.flushTo(channel);
        assertArrayEquals(bytes(0, 8), channel.taken.toByteArray());
    }

    @Test
    void takesNothingWhenTheVmBudgetHasNoRoomForItsRing() {
        BufferBudget budget = new BufferBudget(20);
        TxBuffer first = new TxBuffer(16, budget);
        TxBuffer second = new TxBuffer(16, budget);
        assertTrue(first.push(new ByteBuffer[] {ByteBuffer.wrap(bytes(0, 1))}));
        ByteBuffer src = ByteBuffer.wrap(bytes(0, 4));
        assertFalse(second.push(new ByteBuffer[] {src}));
        assertEquals(4, src.remaining());
        assertEquals(0, second.size());
        first.release();
        assertEquals(0, budget.used());
        assertTrue(second.push(new ByteBuffer[] {src}));
    }
}
