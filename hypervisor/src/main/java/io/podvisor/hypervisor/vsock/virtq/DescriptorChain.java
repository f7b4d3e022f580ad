package io.podvisor.hypervisor.vsock.virtq;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One buffer the driver made available: its head index and its descriptors resolved to guest
 * memory, device-readable ones first, then device-writable ones.
 */
public record DescriptorChain(int head, List<MemorySegment> readable, List<MemorySegment> writable) {

    public long readableLength() {
        return length(readable);
    }

    public long writableLength() {
        return length(writable);
    }

    private static long length(List<MemorySegment> segments) {
        long total = 0;
        for (MemorySegment s : segments) {
            total += s.byteSize();
        }
        return total;
    }
}
