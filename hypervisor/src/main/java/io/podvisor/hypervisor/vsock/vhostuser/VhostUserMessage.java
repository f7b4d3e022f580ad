package io.podvisor.hypervisor.vsock.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.podvisor.hypervisor.vsock.virtq.GuestMemory;

/**
 * One vhost-user message: a 12-byte little-endian header (request, flags, payload size), the
 * payload, and the file descriptors that came with it (already owned by the receiver).
 */
public record VhostUserMessage(int request, int flags, byte[] payload, int[] fds) {

    public static final int HEADER_SIZE = 12;
    /** Payloads above this are refused; the largest we handle (a full memory table) is 264 bytes. */
    public static final int MAX_PAYLOAD = 4096;

    public static final int VERSION = 0x1;
    public static final int VERSION_MASK = 0x3;
    public static final int FLAG_REPLY = 0x4;
    public static final int FLAG_NEED_REPLY = 0x8;

    // Front-end requests (vhost-user spec numbering).
    public static final int GET_FEATURES = 1;
    public static final int SET_FEATURES = 2;
    public static final int SET_OWNER = 3;
    public static final int RESET_OWNER = 4;
    public static final int SET_MEM_TABLE = 5;
    public static final int SET_LOG_BASE = 6;
    public static final int SET_LOG_FD = 7;
    public static final int SET_VRING_NUM = 8;
    public static final int SET_VRING_ADDR = 9;
    public static final int SET_VRING_BASE = 10;
    public static final int GET_VRING_BASE = 11;
    public static final int SET_VRING_KICK = 12;
    public static final int SET_VRING_CALL = 13;
    public static final int SET_VRING_ERR = 14;
    public static final int GET_PROTOCOL_FEATURES = 15;
    public static final int SET_PROTOCOL_FEATURES = 16;
    public static final int GET_QUEUE_NUM = 17;
    public static final int SET_VRING_ENABLE = 18;
    public static final int GET_CONFIG = 24;
    public static final int SET_CONFIG = 25;
    public static final int RESET_DEVICE = 34;
    public static final int GET_MAX_MEM_SLOTS = 36;

    /** In a SET_VRING_KICK/CALL/ERR payload: no fd attached (polling mode). */
    public static final long VRING_NOFD_MASK = 1L << 8;
    public static final long VRING_INDEX_MASK = 0xff;

    public static String name(int request) {
        return switch (request) {
            case GET_FEATURES -> "GET_FEATURES";
            case SET_FEATURES -> "SET_FEATURES";
            case SET_OWNER -> "SET_OWNER";
            case RESET_OWNER -> "RESET_OWNER";
            case SET_MEM_TABLE -> "SET_MEM_TABLE";
            case SET_LOG_BASE -> "SET_LOG_BASE";
            case SET_LOG_FD -> "SET_LOG_FD";
            case SET_VRING_NUM -> "SET_VRING_NUM";
            case SET_VRING_ADDR -> "SET_VRING_ADDR";
            case SET_VRING_BASE -> "SET_VRING_BASE";
            case GET_VRING_BASE -> "GET_VRING_BASE";
            case SET_VRING_KICK -> "SET_VRING_KICK";
            case SET_VRING_CALL -> "SET_VRING_CALL";
            case SET_VRING_ERR -> "SET_VRING_ERR";
            case GET_PROTOCOL_FEATURES -> "GET_PROTOCOL_FEATURES";
            case SET_PROTOCOL_FEATURES -> "SET_PROTOCOL_FEATURES";
            case GET_QUEUE_NUM -> "GET_QUEUE_NUM";
            case SET_VRING_ENABLE -> "SET_VRING_ENABLE";
            case GET_CONFIG -> "GET_CONFIG";
            case SET_CONFIG -> "SET_CONFIG";
            case RESET_DEVICE -> "RESET_DEVICE";
            case GET_MAX_MEM_SLOTS -> "GET_MAX_MEM_SLOTS";
            default -> "request " + request;
        };
    }

    boolean needsReply() {
        return (flags & FLAG_NEED_REPLY) != 0;
    }

    /** Parses a header; returns {request, flags, size}. */
    public static int[] parseHeader(byte[] header) throws VhostUserException {
        ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        int request = b.getInt(0);
        int flags = b.getInt(4);
        int size = b.getInt(8);
        if ((flags & VERSION_MASK) != VERSION) {
            throw new VhostUserException("unsupported vhost-user version " + (flags & VERSION_MASK)
                    + " in " + name(request));
        }
        if (size < 0 || size > MAX_PAYLOAD) {
            throw new VhostUserException(name(request) + " announces a payload of " + Integer.toUnsignedString(size)
                    + " bytes, more than " + MAX_PAYLOAD);
        }
        return new int[] {request, flags, size};
    }

    /** Encodes a reply to {@code request}: header with the REPLY flag, then the payload. */
    public static byte[] reply(int request, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(request).putInt(VERSION | FLAG_REPLY).putInt(payload.length).put(payload);
        return b.array();
    }

    public static byte[] u64(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    // ---- payload views ----

    private ByteBuffer body(int minimum) throws VhostUserException {
        if (payload.length < minimum) {
            throw new VhostUserException(name(request) + " payload is " + payload.length + " bytes, expected "
                    + minimum);
        }
        return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    }

    long u64() throws VhostUserException {
        return body(8).getLong(0);
    }

    /** struct vhost_vring_state: {index, num}. */
    record VringState(int index, int num) {
    }

    VringState vringState() throws VhostUserException {
        ByteBuffer b = body(8);
        return new VringState(b.getInt(0), b.getInt(4));
    }

    /** struct vhost_vring_addr, the addresses in the front-end's address space. */
    record VringAddress(int index, int flags, long desc, long used, long avail, long log) {
    }

    VringAddress vringAddress() throws VhostUserException {
        ByteBuffer b = body(40);
        return new VringAddress(b.getInt(0), b.getInt(4), b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32));
    }

    /** The memory table: {nregions u32, padding u32, regions[nregions] of 4 u64}. */
    List<GuestMemory.RegionSpec> memoryRegions() throws VhostUserException {
        ByteBuffer b = body(8);
        int count = b.getInt(0);
        if (count < 0 || count > 8 || payload.length < 8 + 32 * count) {
            throw new VhostUserException("SET_MEM_TABLE with " + count + " regions in " + payload.length + " bytes");
        }
        List<GuestMemory.RegionSpec> regions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = 8 + 32 * i;
            regions.add(new GuestMemory.RegionSpec(b.getLong(at), b.getLong(at + 8), b.getLong(at + 16),
                    b.getLong(at + 24)));
        }
        return regions;
    }

    /** GET_CONFIG/SET_CONFIG header: {offset, size, flags}. */
    record ConfigRequest(int offset, int size, int flags) {
    }

    ConfigRequest configRequest() throws VhostUserException {
        ByteBuffer b = body(12);
        ConfigRequest r = new ConfigRequest(b.getInt(0), b.getInt(4), b.getInt(8));
        if (r.size() < 0 || r.size() > 256) {
            throw new VhostUserException(name(request) + " asks for " + Integer.toUnsignedString(r.size())
                    + " config bytes");
        }
        return r;
    }

    public static byte[] configReply(ConfigRequest r, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(r.offset()).putInt(data.length).putInt(r.flags()).put(data);
        return b.array();
    }
}
