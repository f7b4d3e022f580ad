package io.podvisor.hypervisor.vsock.virtq;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SplitVirtqueueTest {
    private static final long GUEST_BASE = 0x10_0000;
    private static final int SIZE = 8;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment ram = arena.allocate(64 * 1024, 4096);
    private final GuestMemory memory = GuestMemory.ofSegments(arena, new long[] {GUEST_BASE}, ram);

    @AfterEach
    void free() {
        memory.close();
    }

    private DriverQueue driver(int startIndex) {
        return new DriverQueue(ram, GUEST_BASE, GUEST_BASE, SIZE, startIndex);
    }

    private SplitVirtqueue device(DriverQueue d, int nextAvail) throws VirtqueueException {
        return new SplitVirtqueue(memory, SIZE,
                memory.guest(d.descGpa, SplitVirtqueue.descTableSize(SIZE)),
                memory.guest(d.availGpa, SplitVirtqueue.availRingSize(SIZE)),
                memory.guest(d.usedGpa, SplitVirtqueue.usedRingSize(SIZE)), nextAvail);
    }

    @Test
    void popsAChainWithReadableThenWritableBuffersInGuestMemory() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        ram.setString(0x4000, "hello");
        int head = d.post(new DriverQueue.Buffer(GUEST_BASE + 0x4000, 5, false),
                new DriverQueue.Buffer(GUEST_BASE + 0x5000, 100, true),
                new DriverQueue.Buffer(GUEST_BASE + 0x6000, 200, true));

        DescriptorChain chain = q.pop();
        assertNotNull(chain);
        assertEquals(head, chain.head());
        assertEquals(1, chain.readable().size());
        assertEquals(5, chain.readableLength());
        assertEquals(300, chain.writableLength());
        assertEquals("hello", new String(chain.readable().getFirst().toArray(JAVA_BYTE)));
        chain.writable().get(1).set(JAVA_BYTE, 0, (byte) 42);
        assertEquals(42, ram.get(JAVA_BYTE, 0x6000));
        assertNull(q.pop(), "only one chain was made available");
    }

    @Test
    void returnsUsedChainsWithTheirLengthAndIndexWrapsAround() throws Exception {
        DriverQueue d = driver(65533);
        SplitVirtqueue q = device(d, 65533);
        for (int round = 0; round < 6; round++) {
            int head = d.post(new DriverQueue.Buffer(GUEST_BASE + 0x4000, 64, true));
            DescriptorChain chain = q.pop();
            assertEquals(head, chain.head());
            q.addUsed(chain.head(), 10 + round);
            DriverQueue.Used used = d.pollUsed();
            assertEquals(new DriverQueue.Used(head, 10 + round), used);
        }
        assertEquals(3, q.nextAvail(), "65533 + 6 wraps to 3");
    }

    @Test
    void undoPopGivesTheSameChainAgain() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        int head = d.post(new DriverQueue.Buffer(GUEST_BASE + 0x4000, 64, true));
        assertEquals(head, q.pop().head());
        q.undoPop();
        assertEquals(head, q.pop().head());
    }

    @Test
    void interruptsOnlyWhenTheDriverAllowsThem() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        assertTrue(q.needsInterrupt());
        d.setAvailFlags(SplitVirtqueue.AVAIL_F_NO_INTERRUPT);
        assertFalse(q.needsInterrupt());
    }

    @Test
    void tellsTheDriverWhetherToKick() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        assertFalse(q.hasAvailable());
        q.suppressNotifications(true);
        assertEquals(SplitVirtqueue.USED_F_NO_NOTIFY, ram.get(JAVA_SHORT, d.usedGpa - GUEST_BASE));
        d.post(new DriverQueue.Buffer(GUEST_BASE + 0x4000, 64, true));
        q.suppressNotifications(false);
        assertEquals(0, ram.get(JAVA_SHORT, d.usedGpa - GUEST_BASE));
        assertTrue(q.hasAvailable(), "a buffer added while kicks were off is found by the re-check");
        q.pop();
        assertFalse(q.hasAvailable());
    }

    @Test
    void startsFromTheBaseTheFrontEndGave() throws Exception {
        DriverQueue d = driver(0);
        d.post(new DriverQueue.Buffer(GUEST_BASE + 0x4000, 64, true));
        int second = d.post(new DriverQueue.Buffer(GUEST_BASE + 0x5000, 64, true));
        SplitVirtqueue q = device(d, 1);
        assertEquals(second, q.pop().head());
    }

    @Test
    void rejectsAChainThatLoops() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        d.writeDescriptor(0, GUEST_BASE + 0x4000, 16, SplitVirtqueue.DESC_F_NEXT, 1);
        d.writeDescriptor(1, GUEST_BASE + 0x4000, 16, SplitVirtqueue.DESC_F_NEXT, 0);
        d.publish(0);
        BadChainException e = assertThrows(BadChainException.class, q::pop);
        assertEquals(0, e.head);
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
    }

    @Test
    void rejectsABufferOutsideGuestMemory() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        d.post(new DriverQueue.Buffer(GUEST_BASE + ram.byteSize() - 8, 16, true));
        BadChainException e = assertThrows(BadChainException.class, q::pop);
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
    }

    @Test
    void rejectsReadableAfterWritableAndIndirectDescriptors() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        d.post(new DriverQueue.Buffer(GUEST_BASE + 0x4000, 16, true),
                new DriverQueue.Buffer(GUEST_BASE + 0x5000, 16, false));
        assertThrows(BadChainException.class, q::pop);
        d.writeDescriptor(5, GUEST_BASE + 0x4000, 16, SplitVirtqueue.DESC_F_INDIRECT, 0);
        d.publish(5);
        assertThrows(BadChainException.class, q::pop);
    }

    @Test
    void rejectsAnAvailableIndexThatRunsAheadOfTheQueue() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        ram.set(JAVA_SHORT, d.availGpa - GUEST_BASE + 2, (short) (SIZE + 1));
        VirtqueueException e = assertThrows(VirtqueueException.class, q::pop);
        assertFalse(e instanceof BadChainException, "the whole queue is unusable, not one chain");
    }

    @Test
    void refusesAQueueSizeThatIsNotAPowerOfTwo() {
        assertThrows(VirtqueueException.class, () -> new SplitVirtqueue(memory, 6, ram, ram, ram, 0));
    }

    @Test
    void refusesRingsTheGuestPlacedMisaligned() {
        DriverQueue d = driver(0);
        VirtqueueException desc = assertThrows(VirtqueueException.class, () -> new SplitVirtqueue(memory, SIZE,
                memory.guest(d.descGpa + 8, SplitVirtqueue.descTableSize(SIZE)),
                memory.guest(d.availGpa, SplitVirtqueue.availRingSize(SIZE)),
                memory.guest(d.usedGpa, SplitVirtqueue.usedRingSize(SIZE)), 0));
        assertTrue(desc.getMessage().contains("descriptor table"), desc.getMessage());
        VirtqueueException used = assertThrows(VirtqueueException.class, () -> new SplitVirtqueue(memory, SIZE,
                memory.guest(d.descGpa, SplitVirtqueue.descTableSize(SIZE)),
                memory.guest(d.availGpa, SplitVirtqueue.availRingSize(SIZE)),
                memory.guest(d.usedGpa + 2, SplitVirtqueue.usedRingSize(SIZE)), 0));
        assertTrue(used.getMessage().contains("used ring"), used.getMessage());
    }

    @Test
    void rejectsADescriptorWhoseEndWrapsAroundTheAddressSpace() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        d.writeDescriptor(0, -16L, 32, 0, 0);
        d.publish(0);
        d.writeDescriptor(1, GUEST_BASE + 16, -1, 0, 0);
        d.publish(1);
        assertThrows(BadChainException.class, q::pop);
        BadChainException huge = assertThrows(BadChainException.class, q::pop);
        assertTrue(huge.getMessage().contains("outside"), huge.getMessage());
    }

    @Test
    void rejectsADescriptorIndexBeyondTheQueue() throws Exception {
        DriverQueue d = driver(0);
        SplitVirtqueue q = device(d, 0);
        d.writeDescriptor(0, GUEST_BASE + 0x8000, 16, SplitVirtqueue.DESC_F_NEXT, SIZE + 3);
        d.publish(0);
        d.publish(SIZE + 5);
        BadChainException next = assertThrows(BadChainException.class, q::pop);
        assertTrue(next.getMessage().contains("out of range"), next.getMessage());
        BadChainException head = assertThrows(BadChainException.class, q::pop);
        assertTrue(head.getMessage().contains("out of range"), head.getMessage());
    }
}
