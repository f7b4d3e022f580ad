package io.podvisor.hypervisor.vsock.virtq;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Little-endian reads and writes of an area of guest memory (a ring, a packet header) through one
 * {@link ByteBuffer} view, the one way the backend touches guest memory field by field. A GraalVM native image
 * without the FFM backend throws on every ValueLayout accessor of MemorySegment, but serves ByteBuffer views
 * and {@code MemorySegment.copy} (what {@link Segments} uses for bulk data); the JVM takes the same path.
 * A view spans at most {@link #MAX_AREA} bytes; every access is bounds-checked by the buffer.
 */
public final class GuestBytes {
    /** The most bytes one ByteBuffer can span. */
    public static final long MAX_AREA = Integer.MAX_VALUE;

    private final ByteBuffer view;

    private GuestBytes(ByteBuffer view) {
        this.view = view;
    }

    /** The {@code length} bytes of {@code memory} from {@code offset}; throws if they are not all inside it. */
    public static GuestBytes of(MemorySegment memory, long offset, long length) {
        if (length < 0 || length > MAX_AREA) {
            throw new IndexOutOfBoundsException("an area of " + length + " bytes; at most " + MAX_AREA);
        }
        return new GuestBytes(memory.asSlice(offset, length).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** All of {@code area}, which must be at most {@link #MAX_AREA} bytes. */
    public static GuestBytes of(MemorySegment area) {
        return of(area, 0, area.byteSize());
    }

    public long size() {
        return view.capacity();
    }

    public int u16(long offset) {
        return Short.toUnsignedInt(view.getShort(index(offset)));
    }

    public int u32(long offset) {
        return view.getInt(index(offset));
    }

    public long u64(long offset) {
        return view.getLong(index(offset));
    }

    public void putU16(long offset, int value) {
        view.putShort(index(offset), (short) value);
    }

    public void putU32(long offset, int value) {
        view.putInt(index(offset), value);
    }

    public void putU64(long offset, long value) {
        view.putLong(index(offset), value);
    }

    /** A u16 the driver publishes (a ring index): later reads see what the driver wrote before it. */
    public int u16Acquire(long offset) {
        int value = u16(offset);
        VarHandle.acquireFence();
        return value;
    }

    /** Publishes a u16 (a ring index) after everything written before it. */
    public void putU16Release(long offset, int value) {
        VarHandle.releaseFence();
        putU16(offset, value);
    }

    private int index(long offset) {
        if (offset < 0 || offset > MAX_AREA) {
            throw new IndexOutOfBoundsException("offset " + offset + " outside an area of " + view.capacity() + " bytes");
        }
        return (int) offset;
    }
}
