package io.podvisor.shim.ttrpc;

/**
 * One ttrpc message on the wire: a 10-byte header (payload length u32 BE, stream id u32 BE,
 * type u8, flags u8) followed by the payload.
 */
public record Frame(int streamId, byte type, byte flags, byte[] payload) {
    public static final int HEADER_LENGTH = 10;
    /** Largest payload either side accepts, as upstream ttrpc. */
    public static final int MAX_PAYLOAD = 4 << 20;

    public static final byte TYPE_REQUEST = 1;
    public static final byte TYPE_RESPONSE = 2;
    public static final byte TYPE_DATA = 3;

    public static Frame request(int streamId, byte[] payload) {
        return new Frame(streamId, TYPE_REQUEST, (byte) 0, payload);
    }

    public static Frame response(int streamId, byte[] payload) {
        return new Frame(streamId, TYPE_RESPONSE, (byte) 0, payload);
    }

    /** Stream ids are unsigned on the wire. */
    public long unsignedStreamId() {
        return Integer.toUnsignedLong(streamId);
    }
}
