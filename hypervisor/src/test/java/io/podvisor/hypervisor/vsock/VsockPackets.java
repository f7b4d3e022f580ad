package io.podvisor.hypervisor.vsock;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/** Builds packets as the guest would send them and buffers as it would post them, in heap memory. */
final class VsockPackets {
    static final long GUEST_CID = 3;

    private VsockPackets() {
    }

    static VsockHeader fromGuest(int op, int guestPort, int hostPort, int len, int flags, int bufAlloc, int fwdCnt) {
        return new VsockHeader(GUEST_CID, VsockHeader.HOST_CID, guestPort, hostPort, len, VsockHeader.TYPE_STREAM, op,
                flags, bufAlloc, fwdCnt);
    }

    static TxPacket tx(VsockHeader header, byte[] payload) {
        return new TxPacket(header.withLen(payload.length), new ByteBuffer[] {ByteBuffer.wrap(payload)});
    }

    static TxPacket tx(VsockHeader header) {
        return new TxPacket(header.withLen(0), new ByteBuffer[0]);
    }

    /** An RX buffer shaped like Linux 6.1's: a 44-byte header descriptor and a data descriptor. */
    static final class Rx {
        final byte[] header = new byte[VsockHeader.SIZE];
        final byte[] data;
        final RxBuffer buffer;

        Rx(int capacity) {
            data = new byte[capacity];
            buffer = new RxBuffer(new DescriptorChain(0, List.of(),
                    List.of(MemorySegment.ofArray(header), MemorySegment.ofArray(data))));
        }

        VsockHeader packet() {
            return VsockHeader.decode(MemorySegment.ofArray(header));
        }

        byte[] payload() {
            return Arrays.copyOf(data, packet().len());
        }
    }
}
