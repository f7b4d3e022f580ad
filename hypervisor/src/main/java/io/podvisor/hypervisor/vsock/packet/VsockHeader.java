package io.podvisor.hypervisor.vsock.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The 44-byte little-endian header in front of every virtio-vsock packet. Ports and counters are
 * u32 on the wire and held here in Java ints (compare them unsigned).
 */
public record VsockHeader(long srcCid, long dstCid, int srcPort, int dstPort, int len, int type, int op,
                   int flags, int bufAlloc, int fwdCnt) {

    public static final int SIZE = 44;
    public static final long HOST_CID = 2;

    public static final int TYPE_STREAM = 1;

    public static final int OP_REQUEST = 1;
    public static final int OP_RESPONSE = 2;
    public static final int OP_RST = 3;
    public static final int OP_SHUTDOWN = 4;
    public static final int OP_RW = 5;
    public static final int OP_CREDIT_UPDATE = 6;
    public static final int OP_CREDIT_REQUEST = 7;

    /** SHUTDOWN flag: the sender will receive no more data. */
    public static final int SHUTDOWN_RCV = 1;
    /** SHUTDOWN flag: the sender will send no more data. */
    public static final int SHUTDOWN_SEND = 2;

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static VsockHeader decode(MemorySegment s) {
        return new VsockHeader(
                s.get(U64, 0), s.get(U64, 8), s.get(U32, 16), s.get(U32, 20), s.get(U32, 24),
                Short.toUnsignedInt(s.get(U16, 28)), Short.toUnsignedInt(s.get(U16, 30)),
                s.get(U32, 32), s.get(U32, 36), s.get(U32, 40));
    }

    public void encode(MemorySegment s) {
        s.set(U64, 0, srcCid);
        s.set(U64, 8, dstCid);
        s.set(U32, 16, srcPort);
        s.set(U32, 20, dstPort);
        s.set(U32, 24, len);
        s.set(U16, 28, (short) type);
        s.set(U16, 30, (short) op);
        s.set(U32, 32, flags);
        s.set(U32, 36, bufAlloc);
        s.set(U32, 40, fwdCnt);
    }

    public VsockHeader withLen(int newLen) {
        return new VsockHeader(srcCid, dstCid, srcPort, dstPort, newLen, type, op, flags, bufAlloc, fwdCnt);
    }

    public static String opName(int op) {
        return switch (op) {
            case OP_REQUEST -> "REQUEST";
            case OP_RESPONSE -> "RESPONSE";
            case OP_RST -> "RST";
            case OP_SHUTDOWN -> "SHUTDOWN";
            case OP_RW -> "RW";
            case OP_CREDIT_UPDATE -> "CREDIT_UPDATE";
            case OP_CREDIT_REQUEST -> "CREDIT_REQUEST";
            default -> "op" + op;
        };
    }

    @Override
    public String toString() {
        return opName(op) + " " + srcCid + ":" + Integer.toUnsignedString(srcPort) + " -> " + dstCid + ":"
                + Integer.toUnsignedString(dstPort) + " len=" + Integer.toUnsignedString(len) + " flags=" + flags
                + " buf_alloc=" + Integer.toUnsignedString(bufAlloc) + " fwd_cnt=" + Integer.toUnsignedString(fwdCnt);
    }
}
