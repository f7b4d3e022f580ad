package io.podvisor.hypervisor.vsock;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One buffer the driver made available: its head index and its descriptors resolved to guest
 * memory, device-readable ones first, then device-writable ones.
 */
record DescriptorChain(int head, List<MemorySegment> readable, List<MemorySegment> writable) {

    long readableLength() {
        return length(readable);
    }

    long writableLength() {
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
