package io.podvisor.hypervisor.vsock.packet;

import java.lang.foreign.MemorySegment;
import java.util.List;

import io.podvisor.hypervisor.vsock.virtq.BadChainException;
import io.podvisor.hypervisor.vsock.virtq.DescriptorChain;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A TX chain as the guest wrote it, its header's length field checked against what the chain holds. */
class TxPacketTest {

    private static DescriptorChain chain(int len, int... descriptorSizes) {
        MemorySegment[] parts = new MemorySegment[descriptorSizes.length];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = MemorySegment.ofArray(new byte[descriptorSizes[i]]);
        }
        MemorySegment header = MemorySegment.ofArray(new byte[VsockHeader.SIZE]);
        VsockPackets.fromGuest(VsockHeader.OP_RW, 1024, 1 << 30, len, 0, 0, 0).encode(header);
        // The header bytes go wherever the chain's first 44 bytes are.
        long at = 0;
        for (MemorySegment p : parts) {
            long n = Math.min(p.byteSize(), Math.max(0, VsockHeader.SIZE - at));
            MemorySegment.copy(header, at, p, 0, n);
            at += n;
        }
        return new DescriptorChain(7, List.of(parts), List.of());
    }

    @Test
    void takesAPayloadThatFitsTheChainEvenAcrossDescriptors() throws Exception {
        TxPacket p = TxPacket.parse(chain(100, 20, 30, 94));
        assertEquals(100, p.payloadLength());
        long viewed = 0;
        for (var b : p.payload()) {
            viewed += b.remaining();
        }
        assertEquals(100, viewed);
    }

    @Test
    void refusesALengthLongerThanTheChain() {
        BadChainException e = assertThrows(BadChainException.class, () -> TxPacket.parse(chain(101, 44, 100)));
        assertTrue(e.getMessage().contains("101"), e.getMessage());
    }

    @Test
    void refusesALengthNoPacketMayHaveEvenIfTheChainHoldsIt() {
        int len = TxPacket.MAX_PAYLOAD + 1;
        BadChainException e = assertThrows(BadChainException.class, () -> TxPacket.parse(chain(len, 44, len)));
        assertTrue(e.getMessage().contains("more than"), e.getMessage());
    }

    @Test
    void refusesTheLargestUnsignedLength() {
        assertThrows(BadChainException.class, () -> TxPacket.parse(chain(-1, 44, 16)));
    }

    @Test
    void refusesAChainShorterThanAHeader() {
        assertThrows(BadChainException.class, () -> TxPacket.parse(chain(0, 20, 20)));
    }
}
