package io.podvisor.hypervisor.vsock;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** A buffer the guest posted on the RX queue, into which the device writes one packet. */
final class RxBuffer {
    private final DescriptorChain chain;

    RxBuffer(DescriptorChain chain) {
        this.chain = chain;
    }

    boolean holdsHeader() {
        return chain.writableLength() >= VsockHeader.SIZE;
    }

    /** Room for payload after the header, at most {@code Integer.MAX_VALUE}. */
    int payloadCapacity() {
        return (int) Math.min(Integer.MAX_VALUE, chain.writableLength() - VsockHeader.SIZE);
    }

    /** Writes the header; returns the bytes of the packet (header plus its len). */
    int writeHeader(VsockHeader header) {
        MemorySegment first = chain.writable().getFirst();
        if (first.byteSize() >= VsockHeader.SIZE) {
            header.encode(first);
        } else {
            MemorySegment bytes = MemorySegment.ofArray(new byte[VsockHeader.SIZE]);
            header.encode(bytes);
            Segments.scatter(bytes, chain.writable(), 0);
        }
        return VsockHeader.SIZE + header.len();
    }

    /** Buffers over the payload area, {@code max} bytes at most, to read host data into. */
    ByteBuffer[] payload(int max) {
        return Segments.buffers(chain.writable(), VsockHeader.SIZE, Math.min(max, payloadCapacity()));
    }
}
