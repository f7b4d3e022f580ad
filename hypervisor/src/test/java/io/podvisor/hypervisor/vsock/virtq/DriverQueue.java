package io.podvisor.hypervisor.vsock.virtq;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The driver (guest) side of a split virtqueue in a test's memory, {@code ram} being guest physical
 * addresses from {@code ramGpa} on: what a guest kernel would do, for tests of the device side.
 */
public final class DriverQueue {
    public record Buffer(long gpa, int length, boolean writable) {
    }

    public record Used(int head, int length) {
    }

    public final int size;
    public final long descGpa;
    public final long availGpa;
    public final long usedGpa;
    private final MemorySegment memory;
    private final long ramGpa;
    private final Deque<Integer> freeDescriptors = new ArrayDeque<>();
    private int availIdx;
    private int lastUsed;

    /** Lays the queue out at guest address {@code base} (16-byte aligned): descriptors, avail ring, used ring. */
    public DriverQueue(MemorySegment ram, long ramGpa, long base, int size) {
        this(ram, ramGpa, base, size, 0);
    }

    /** As above, with both ring indices starting at {@code startIndex} (to test wrap-around). */
    public DriverQueue(MemorySegment ram, long ramGpa, long base, int size, int startIndex) {
        this.memory = ram.asSlice(0);
        this.ramGpa = ramGpa;
        this.size = size;
        this.descGpa = base;
        this.availGpa = base + 16L * size;
        this.usedGpa = (availGpa + 6 + 2L * size + 3) & ~3L;
        for (int i = 0; i < size; i++) {
            freeDescriptors.add(i);
        }
        availIdx = startIndex & 0xffff;
        lastUsed = startIndex & 0xffff;
        memory.set(JAVA_SHORT, -ramGpa + availGpa + 2, (short) availIdx);
        memory.set(JAVA_SHORT, -ramGpa + usedGpa + 2, (short) lastUsed);
    }

    static long footprint(int size) {
        return 16L * size + 6 + 2L * size + 4 + 6 + 8L * size + 16;
    }

    public int availIndex() {
        return availIdx;
    }

    /** Makes a chain of {@code buffers} available; returns its head. */
    public int post(Buffer... buffers) {
        if (freeDescriptors.size() < buffers.length) {
            throw new IllegalStateException("out of descriptors");
        }
        int[] ids = new int[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            ids[i] = freeDescriptors.poll();
        }
        for (int i = 0; i < buffers.length; i++) {
            writeDescriptor(ids[i], buffers[i].gpa(), buffers[i].length(),
                    (buffers[i].writable() ? SplitVirtqueue.DESC_F_WRITE : 0)
                            | (i + 1 < buffers.length ? SplitVirtqueue.DESC_F_NEXT : 0),
                    i + 1 < buffers.length ? ids[i + 1] : 0);
        }
        publish(ids[0]);
        return ids[0];
    }

    public void writeDescriptor(int index, long gpa, int length, int flags, int next) {
        long at = descGpa + 16L * index;
        memory.set(JAVA_LONG, -ramGpa + at, gpa);
        memory.set(JAVA_INT, -ramGpa + at + 8, length);
        memory.set(JAVA_SHORT, -ramGpa + at + 12, (short) flags);
        memory.set(JAVA_SHORT, -ramGpa + at + 14, (short) next);
    }

    /** Puts {@code head} on the available ring as is (for hand-made, possibly broken, chains). */
    public void publish(int head) {
        memory.set(JAVA_SHORT, -ramGpa + availGpa + 4 + 2L * (availIdx % size), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
        java.lang.invoke.VarHandle.fullFence();
        memory.set(JAVA_SHORT, -ramGpa + availGpa + 2, (short) availIdx);
    }

    public void setAvailFlags(int flags) {
        memory.set(JAVA_SHORT, -ramGpa + availGpa, (short) flags);
    }

    /** Takes the next used entry, freeing its descriptors; null if the device returned none. */
    public Used pollUsed() {
        java.lang.invoke.VarHandle.fullFence();
        int usedIdx = Short.toUnsignedInt(memory.get(JAVA_SHORT, -ramGpa + usedGpa + 2));
        if (usedIdx == lastUsed) {
            return null;
        }
        long slot = usedGpa + 4 + 8L * (lastUsed % size);
        Used u = new Used(memory.get(JAVA_INT, -ramGpa + slot), memory.get(JAVA_INT, -ramGpa + slot + 4));
        lastUsed = (lastUsed + 1) & 0xffff;
        int index = u.head();
        while (true) {
            freeDescriptors.add(index);
            long at = descGpa + 16L * index;
            if ((memory.get(JAVA_SHORT, -ramGpa + at + 12) & SplitVirtqueue.DESC_F_NEXT) == 0) {
                break;
            }
            index = Short.toUnsignedInt(memory.get(JAVA_SHORT, -ramGpa + at + 14));
        }
        return u;
    }
}
