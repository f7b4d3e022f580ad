package io.podvisor.hypervisor.vsock.packet;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import io.podvisor.hypervisor.vsock.virtq.DescriptorChain;

/** Builds packets as the guest would send them and buffers as it would post them, in heap memory. */
public final class VsockPackets {
    public static final long GUEST_CID = 3;

    private VsockPackets() {
    }

    public static VsockHeader fromGuest(int op, int guestPort, int hostPort, int len, int flags, int bufAlloc, int fwdCnt) {
        return new VsockHeader(GUEST_CID, VsockHeader.HOST_CID, guestPort, hostPort, len, VsockHeader.TYPE_STREAM, op,
                flags, bufAlloc, fwdCnt);
    }

    public static TxPacket tx(VsockHeader header, byte[] payload) {
        return new TxPacket(header.withLen(payload.length), new ByteBuffer[] {ByteBuffer.wrap(payload)});
    }

    public static TxPacket tx(VsockHeader header) {
        return new TxPacket(header.withLen(0), new ByteBuffer[0]);
    }

    /** An RX buffer shaped like Linux 6.1's: a 44-byte header descriptor and a data descriptor. */
    public static final class Rx {
        public final byte[] header = new byte[VsockHeader.SIZE];
        public final byte[] data;
        public final RxBuffer buffer;

        public Rx(int capacity) {
            data = new byte[capacity];
            buffer = new RxBuffer(new DescriptorChain(0, List.of(),
                    List.of(MemorySegment.ofArray(header), MemorySegment.ofArray(data))));
        }

        public VsockHeader packet() {
            return VsockHeader.decode(MemorySegment.ofArray(header));
        }

        public byte[] payload() {
            return Arrays.copyOf(data, packet().len());
        }
    }
}
