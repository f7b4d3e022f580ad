package io.podvisor.hypervisor.vsock.virtq;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The device side of a split virtqueue (virtio 1.x, little endian, no indirect descriptors, no
 * event index): takes chains from the available ring, returns them on the used ring.
 * Not thread-safe: one device thread owns it.
 */
public final class SplitVirtqueue {
    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;
    static final int AVAIL_F_NO_INTERRUPT = 1;
    static final int USED_F_NO_NOTIFY = 1;
    public static final int MAX_SIZE = 32768;

    private static final VarHandle U16 = JAVA_SHORT.varHandle();

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("virtqueues are little endian; this host is not");
        }
    }

    private final GuestMemory memory;
    private final int size;
    private final MemorySegment desc;
    private final MemorySegment avail;
    private final MemorySegment used;
    private int nextAvail;
    private int nextUsed;
    private boolean notificationsSuppressed;

    /**
     * @param nextAvail the first available-ring index not yet consumed (SET_VRING_BASE)
     */
    public SplitVirtqueue(GuestMemory memory, int size, MemorySegment desc, MemorySegment avail, MemorySegment used,
                   int nextAvail) throws VirtqueueException {
        if (size <= 0 || size > MAX_SIZE || Integer.bitCount(size) != 1) {
            throw new VirtqueueException("queue size " + size + " is not a power of two up to " + MAX_SIZE);
        }
        if (desc.byteSize() < descTableSize(size) || avail.byteSize() < availRingSize(size)
                || used.byteSize() < usedRingSize(size)) {
            throw new VirtqueueException("ring areas too small for queue size " + size);
        }
        // The guest chooses these addresses; the aligned accesses below would throw on a misaligned ring.
        requireAligned("descriptor table", desc, 16);
        requireAligned("available ring", avail, 2);
        requireAligned("used ring", used, 4);
        this.memory = memory;
        this.size = size;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
        this.nextAvail = nextAvail & 0xffff;
        this.nextUsed = Short.toUnsignedInt((short) U16.getAcquire(used, 2L));
        used.set(JAVA_SHORT, 0L, (short) 0);
    }

    private static void requireAligned(String what, MemorySegment area, int alignment) throws VirtqueueException {
        if (area.address() % alignment != 0) {
            throw new VirtqueueException(what + " at 0x" + Long.toHexString(area.address())
                    + " is not aligned to " + alignment + " bytes");
        }
    }

    public static long descTableSize(int size) {
        return 16L * size;
    }

    public static long availRingSize(int size) {
        return 4L + 2L * size;
    }

    public static long usedRingSize(int size) {
        return 4L + 8L * size;
    }

    public int size() {
        return size;
    }

    /** Index of the next available entry the device will take; what GET_VRING_BASE reports. */
    public int nextAvail() {
        return nextAvail;
    }

    /** The next available chain, or null if the driver has made none available. */
    public DescriptorChain pop() throws VirtqueueException {
        int availIdx = Short.toUnsignedInt((short) U16.getAcquire(avail, 2L));
        if (availIdx == nextAvail) {
            return null;
        }
        if (((availIdx - nextAvail) & 0xffff) > size) {
            throw new VirtqueueException("available index " + availIdx + " is more than " + size
                    + " ahead of " + nextAvail);
        }
        int head = Short.toUnsignedInt(avail.get(JAVA_SHORT, 4L + 2L * (nextAvail % size)));
        nextAvail = (nextAvail + 1) & 0xffff;
        return walk(head);
    }

    /** Gives back the chain {@link #pop()} returned last, untouched. */
    public void undoPop() {
        nextAvail = (nextAvail - 1) & 0xffff;
    }

    private DescriptorChain walk(int head) throws BadChainException {
        List<MemorySegment> readable = new ArrayList<>(2);
        List<MemorySegment> writable = new ArrayList<>(2);
        int index = head;
        for (int count = 0; ; count++) {
            if (index >= size) {
                throw new BadChainException(head, "descriptor index " + index + " out of range " + size);
            }
            if (count >= size) {
                throw new BadChainException(head, "chain longer than the queue (a loop?)");
            }
            long offset = 16L * index;
            long address = desc.get(JAVA_LONG, offset);
            long length = Integer.toUnsignedLong(desc.get(JAVA_INT, offset + 8));
            int flags = Short.toUnsignedInt(desc.get(JAVA_SHORT, offset + 12));
            int next = Short.toUnsignedInt(desc.get(JAVA_SHORT, offset + 14));
            if ((flags & DESC_F_INDIRECT) != 0) {
                throw new BadChainException(head, "indirect descriptor, a feature not offered");
            }
            MemorySegment segment;
            try {
                segment = memory.guest(address, length);
            } catch (VirtqueueException e) {
                throw new BadChainException(head, e.getMessage());
            }
            if ((flags & DESC_F_WRITE) != 0) {
                writable.add(segment);
            } else if (!writable.isEmpty()) {
                throw new BadChainException(head, "device-readable descriptor after a writable one");
            } else {
                readable.add(segment);
            }
            if ((flags & DESC_F_NEXT) == 0) {
                return new DescriptorChain(head, readable, writable);
            }
            index = next;
        }
    }

    /** Returns a chain to the driver, {@code written} bytes written into its writable part. */
    public void addUsed(int head, int written) {
        long slot = 4L + 8L * (nextUsed % size);
        used.set(JAVA_INT, slot, head);
        used.set(JAVA_INT, slot + 4, written);
        nextUsed = (nextUsed + 1) & 0xffff;
        U16.setRelease(used, 2L, (short) nextUsed);
    }

    /** Whether the driver has made chains available that {@link #pop()} has not taken. */
    public boolean hasAvailable() {
        return Short.toUnsignedInt((short) U16.getAcquire(avail, 2L)) != nextAvail;
    }

    /**
     * Asks the driver to stop kicking (true) or to kick again (false) when it adds buffers. After
     * allowing kicks again, check {@link #hasAvailable()}: buffers added before the driver saw the
     * change came without a kick.
     */
    public void suppressNotifications(boolean suppress) {
        if (suppress == notificationsSuppressed) {
            return;
        }
        notificationsSuppressed = suppress;
        U16.setRelease(used, 0L, (short) (suppress ? USED_F_NO_NOTIFY : 0));
        if (!suppress) {
            VarHandle.fullFence();
        }
    }

    /** Whether the driver wants an interrupt for the chains just used. */
    public boolean needsInterrupt() {
        VarHandle.fullFence();
        return (avail.get(JAVA_SHORT, 0L) & AVAIL_F_NO_INTERRUPT) == 0;
    }
}
