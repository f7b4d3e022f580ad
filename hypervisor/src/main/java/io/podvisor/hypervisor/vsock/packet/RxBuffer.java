package io.podvisor.hypervisor.vsock.packet;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import io.podvisor.hypervisor.vsock.virtq.DescriptorChain;
import io.podvisor.hypervisor.vsock.virtq.Segments;

/** A buffer the guest posted on the RX queue, into which the device writes one packet. */
public final class RxBuffer {
    private final DescriptorChain chain;

    public RxBuffer(DescriptorChain chain) {
        this.chain = chain;
    }

    public boolean holdsHeader() {
        return chain.writableLength() >= VsockHeader.SIZE;
    }

    /** Room for payload after the header, at most {@code Integer.MAX_VALUE}. */
    public int payloadCapacity() {
        return (int) Math.min(Integer.MAX_VALUE, chain.writableLength() - VsockHeader.SIZE);
    }

    /** Writes the header; returns the bytes of the packet (header plus its len). */
    public int writeHeader(VsockHeader header) {
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
    public ByteBuffer[] payload(int max) {
        return Segments.buffers(chain.writable(), VsockHeader.SIZE, Math.min(max, payloadCapacity()));
    }
}
