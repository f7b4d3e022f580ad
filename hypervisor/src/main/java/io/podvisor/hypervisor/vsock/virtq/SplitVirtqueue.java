package io.podvisor.hypervisor.vsock.virtq;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

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

    private final GuestMemory memory;
    private final int size;
    private final GuestBytes desc;
    private final GuestBytes avail;
    private final GuestBytes used;
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
        // The guest chooses these addresses; the virtio spec requires this alignment, so refuse a ring without it.
        requireAligned("descriptor table", desc, 16);
        requireAligned("available ring", avail, 2);
        requireAligned("used ring", used, 4);
        this.memory = memory;
        this.size = size;
        this.desc = GuestBytes.of(desc, 0, descTableSize(size));
        this.avail = GuestBytes.of(avail, 0, availRingSize(size));
        this.used = GuestBytes.of(used, 0, usedRingSize(size));
        this.nextAvail = nextAvail & 0xffff;
        this.nextUsed = this.used.u16Acquire(2);
        this.used.putU16(0, 0);
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
        int availIdx = avail.u16Acquire(2);
        if (availIdx == nextAvail) {
            return null;
        }
        if (((availIdx - nextAvail) & 0xffff) > size) {
            throw new VirtqueueException("available index " + availIdx + " is more than " + size
                    + " ahead of " + nextAvail);
        }
        int head = avail.u16(4L + 2L * (nextAvail % size));
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
            long address = desc.u64(offset);
            long length = Integer.toUnsignedLong(desc.u32(offset + 8));
            int flags = desc.u16(offset + 12);
            int next = desc.u16(offset + 14);
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
        used.putU32(slot, head);
        used.putU32(slot + 4, written);
        nextUsed = (nextUsed + 1) & 0xffff;
        used.putU16Release(2, nextUsed);
    }

    /** Whether the driver has made chains available that {@link #pop()} has not taken. */
    public boolean hasAvailable() {
        return avail.u16Acquire(2) != nextAvail;
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
        used.putU16Release(0, suppress ? USED_F_NO_NOTIFY : 0);
        if (!suppress) {
            VarHandle.fullFence();
        }
    }

    /** Whether the driver wants an interrupt for the chains just used. */
    public boolean needsInterrupt() {
        VarHandle.fullFence();
        return (avail.u16(0) & AVAIL_F_NO_INTERRUPT) == 0;
    }
}
