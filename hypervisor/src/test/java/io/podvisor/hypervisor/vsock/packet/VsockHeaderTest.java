package io.podvisor.hypervisor.vsock.packet;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VsockHeaderTest {

    // src_cid 3, dst_cid 2, src_port 0x12345678, dst_port 1024, len 5, type STREAM, op RW, flags 0,
    // buf_alloc 262144, fwd_cnt 0xfffffff0 (all little endian).
    private static final String WIRE = "0300000000000000" + "0200000000000000" + "78563412" + "00040000"
            + "05000000" + "0100" + "0500" + "00000000" + "00000400" + "f0ffffff";

    @Test
    void decodesTheLittleEndianWireLayout() {
        VsockHeader h = VsockHeader.decode(MemorySegment.ofArray(HexFormat.of().parseHex(WIRE)));
        assertEquals(3, h.srcCid());
        assertEquals(2, h.dstCid());
        assertEquals(0x12345678, h.srcPort());
        assertEquals(1024, h.dstPort());
        assertEquals(5, h.len());
        assertEquals(VsockHeader.TYPE_STREAM, h.type());
        assertEquals(VsockHeader.OP_RW, h.op());
        assertEquals(256 * 1024, h.bufAlloc());
        assertEquals(0xfffffff0L, Integer.toUnsignedLong(h.fwdCnt()));
    }

    @Test
    void encodesToExactly44BytesOfTheSameLayout() {
        VsockHeader h = new VsockHeader(3, 2, 0x12345678, 1024, 5, VsockHeader.TYPE_STREAM, VsockHeader.OP_RW, 0,
                256 * 1024, 0xfffffff0);
        byte[] bytes = new byte[VsockHeader.SIZE];
        h.encode(MemorySegment.ofArray(bytes));
        assertEquals(WIRE, HexFormat.of().formatHex(bytes));
        assertEquals(44, VsockHeader.SIZE);
    }

    @Test
    void shutdownFlagsAndOpsHaveTheirVirtioValues() {
        assertEquals(1, VsockHeader.OP_REQUEST);
        assertEquals(3, VsockHeader.OP_RST);
        assertEquals(7, VsockHeader.OP_CREDIT_REQUEST);
        assertEquals(1, VsockHeader.SHUTDOWN_RCV);
        assertEquals(2, VsockHeader.SHUTDOWN_SEND);
    }
}
