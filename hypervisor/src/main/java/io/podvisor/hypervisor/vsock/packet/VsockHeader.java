package io.podvisor.hypervisor.vsock.packet;

import java.lang.foreign.MemorySegment;

import io.podvisor.hypervisor.vsock.virtq.GuestBytes;

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

    /** Reads a header from the first {@link #SIZE} bytes of {@code s}. */
    public static VsockHeader decode(MemorySegment s) {
        GuestBytes b = GuestBytes.of(s, 0, SIZE);
        return new VsockHeader(b.u64(0), b.u64(8), b.u32(16), b.u32(20), b.u32(24), b.u16(28), b.u16(30),
                b.u32(32), b.u32(36), b.u32(40));
    }

    /** Writes this header into the first {@link #SIZE} bytes of {@code s}. */
    public void encode(MemorySegment s) {
        GuestBytes b = GuestBytes.of(s, 0, SIZE);
        b.putU64(0, srcCid);
        b.putU64(8, dstCid);
        b.putU32(16, srcPort);
        b.putU32(20, dstPort);
        b.putU32(24, len);
        b.putU16(28, type);
        b.putU16(30, op);
        b.putU32(32, flags);
        b.putU32(36, bufAlloc);
        b.putU32(40, fwdCnt);
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
