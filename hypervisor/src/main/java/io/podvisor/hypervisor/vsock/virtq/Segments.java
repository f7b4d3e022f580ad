package io.podvisor.hypervisor.vsock.virtq;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Copies and views across a list of segments treated as one byte sequence. */
public final class Segments {
    private Segments() {
    }

    /** Copies {@code dst.byteSize()} bytes starting at {@code offset} of the sequence into {@code dst}. */
    public static void gather(List<MemorySegment> sources, long offset, MemorySegment dst) {
        long done = 0;
        for (MemorySegment s : sources) {
            if (done == dst.byteSize()) {
                return;
            }
            if (offset >= s.byteSize()) {
                offset -= s.byteSize();
                continue;
            }
            long n = Math.min(s.byteSize() - offset, dst.byteSize() - done);
            MemorySegment.copy(s, offset, dst, done, n);
            done += n;
            offset = 0;
        }
        if (done < dst.byteSize()) {
            throw new IndexOutOfBoundsException("sequence shorter than " + dst.byteSize() + " bytes");
        }
    }

    /** Copies all of {@code src} into the sequence starting at {@code offset}. */
    public static void scatter(MemorySegment src, List<MemorySegment> targets, long offset) {
        long done = 0;
        for (MemorySegment t : targets) {
            if (done == src.byteSize()) {
                return;
            }
            if (offset >= t.byteSize()) {
                offset -= t.byteSize();
                continue;
            }
            long n = Math.min(t.byteSize() - offset, src.byteSize() - done);
            MemorySegment.copy(src, done, t, offset, n);
            done += n;
            offset = 0;
        }
        if (done < src.byteSize()) {
            throw new IndexOutOfBoundsException("sequence shorter than " + src.byteSize() + " bytes");
        }
    }

    /** NIO buffers over {@code length} bytes of the sequence starting at {@code offset}. */
    public static ByteBuffer[] buffers(List<MemorySegment> segments, long offset, long length) {
        List<ByteBuffer> out = new ArrayList<>(segments.size());
        for (MemorySegment s : segments) {
            if (length == 0) {
                break;
            }
            if (offset >= s.byteSize()) {
                offset -= s.byteSize();
                continue;
            }
            long n = Math.min(s.byteSize() - offset, length);
            out.add(s.asSlice(offset, n).asByteBuffer());
            length -= n;
            offset = 0;
        }
        return out.toArray(ByteBuffer[]::new);
    }
}
