package io.podvisor.hypervisor.vsock.packet;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import io.podvisor.hypervisor.vsock.virtq.BadChainException;
import io.podvisor.hypervisor.vsock.virtq.DescriptorChain;
import io.podvisor.hypervisor.vsock.virtq.Segments;

/**
 * A packet the guest sent on the TX queue: its header and its payload as buffers viewing guest
 * memory, valid until the chain is returned to the guest.
 */
public record TxPacket(VsockHeader header, ByteBuffer[] payload) {

    /** The most payload a packet may carry (Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE). */
    public static final int MAX_PAYLOAD = 64 * 1024;

    private static final ByteBuffer[] NO_PAYLOAD = new ByteBuffer[0];

    public static TxPacket parse(DescriptorChain chain) throws BadChainException {
        if (chain.readableLength() < VsockHeader.SIZE) {
            throw new BadChainException(chain.head(), "TX buffer of " + chain.readableLength()
                    + " bytes is shorter than a vsock header");
        }
        MemorySegment headerBytes = chain.readable().getFirst();
        if (headerBytes.byteSize() < VsockHeader.SIZE) {
            headerBytes = MemorySegment.ofArray(new byte[VsockHeader.SIZE]);
            Segments.gather(chain.readable(), 0, headerBytes);
        }
        VsockHeader header = VsockHeader.decode(headerBytes);
        long payloadLength = Integer.toUnsignedLong(header.len());
        if (payloadLength > MAX_PAYLOAD) {
            throw new BadChainException(chain.head(), "header says " + payloadLength + " payload bytes, more than the "
                    + MAX_PAYLOAD + " a packet may carry");
        }
        if (payloadLength == 0) {
            return new TxPacket(header, NO_PAYLOAD);
        }
        if (chain.readableLength() - VsockHeader.SIZE < payloadLength) {
            throw new BadChainException(chain.head(), "header says " + payloadLength + " payload bytes but the buffer holds "
                    + (chain.readableLength() - VsockHeader.SIZE));
        }
        return new TxPacket(header, Segments.buffers(chain.readable(), VsockHeader.SIZE, payloadLength));
    }

    public long payloadLength() {
        return Integer.toUnsignedLong(header.len());
    }
}
