package io.podvisor.hypervisor.vsock.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.podvisor.hypervisor.os.Eventfd;
import io.podvisor.hypervisor.os.SharedMemory;
import io.podvisor.hypervisor.vsock.virtq.GuestMemory;
import org.junit.jupiter.api.Test;

import static io.podvisor.hypervisor.vsock.vhostuser.VhostUserMessage.*;
import static io.podvisor.libc.Libc.LIBC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VhostUserSessionTest {

    /** Records what the session asked of the device. */
    private static final class RecordingDevice implements VhostUserDevice {
        final List<String> calls = new ArrayList<>();

        @Override
        public int queueCount() {
            return 2;
        }

        @Override
        public long features() {
            return 1L << 32;
        }

        @Override
        public byte[] config() {
            return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(42).array();
        }

        @Override
        public void setMemory(GuestMemory memory) {
            calls.add("memory");
            memory.close();
        }

        @Override
        public void setRingSize(int queue, int size) {
            calls.add("size " + queue + " " + size);
        }

        @Override
        public void setRingAddresses(int queue, long desc, long used, long avail) {
            calls.add("addr " + queue + " " + Long.toHexString(desc) + " " + Long.toHexString(used) + " "
                    + Long.toHexString(avail));
        }

        @Override
        public void setRingBase(int queue, int nextAvail) {
            calls.add("base " + queue + " " + nextAvail);
        }

        @Override
        public int stopRing(int queue) {
            calls.add("stop " + queue);
            return 77;
        }

        @Override
        public void setKick(int queue, int fd) {
            calls.add("kick " + queue + (fd >= 0 ? " fd" : " none"));
            LIBC.closeQuietly(fd);
        }

        @Override
        public void setCall(int queue, int fd) {
            calls.add("call " + queue + (fd >= 0 ? " fd" : " none"));
            LIBC.closeQuietly(fd);
        }

        @Override
        public void setRingEnabled(int queue, boolean enabled) {
            calls.add("enable " + queue + " " + enabled);
        }

        @Override
        public void reset() {
            calls.add("reset");
        }
    }

    private final RecordingDevice device = new RecordingDevice();
    private final VhostUserSession session = new VhostUserSession("test-vm", device);

    private static byte[] le(Object... fields) {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        for (Object f : fields) {
            if (f instanceof Long l) {
                b.putLong(l);
            } else {
                b.putInt((Integer) f);
            }
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    private static VhostUserMessage msg(int request, int flags, byte[] payload, int... fds) {
        return new VhostUserMessage(request, VERSION | flags, payload, fds);
    }

    /** Splits a reply into its header fields and payload. */
    private record Reply(int request, int flags, int size, ByteBuffer payload) {
        static Reply of(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            Reply r = new Reply(b.getInt(), b.getInt(), b.getInt(), b.slice().order(ByteOrder.LITTLE_ENDIAN));
            assertEquals(bytes.length - HEADER_SIZE, r.size());
            return r;
        }
    }

    @Test
    void decodesAMessageHeaderFromItsBytes() throws Exception {
        byte[] header = HexFormat.of().parseHex("01000000" + "01000000" + "00000000");
        assertArrayEquals(new int[] {GET_FEATURES, VERSION, 0}, VhostUserMessage.parseHeader(header));
    }

    @Test
    void refusesAnotherProtocolVersionOrAHugePayload() {
        assertThrows(VhostUserException.class,
                () -> VhostUserMessage.parseHeader(HexFormat.of().parseHex("01000000" + "02000000" + "00000000")));
        assertThrows(VhostUserException.class,
                () -> VhostUserMessage.parseHeader(HexFormat.of().parseHex("05000000" + "01000000" + "00100100")));
    }

    @Test
    void offersVersion1AndProtocolFeatures() throws Exception {
        Reply r = Reply.of(session.handle(msg(GET_FEATURES, 0, new byte[0])));
        assertEquals(GET_FEATURES, r.request());
        assertEquals(VERSION | FLAG_REPLY, r.flags());
        assertEquals((1L << 32) | (1L << 30), r.payload().getLong(0));

        Reply p = Reply.of(session.handle(msg(GET_PROTOCOL_FEATURES, 0, new byte[0])));
        long protocol = p.payload().getLong(0);
        assertEquals(1L << 9, protocol & (1L << 9), "CONFIG");
        assertEquals(1L << 3, protocol & (1L << 3), "REPLY_ACK");
        assertEquals(0, protocol & 1L, "no MQ");
    }

    @Test
    void getConfigReturnsTheGuestCidAsLe64() throws Exception {
        Reply r = Reply.of(session.handle(msg(GET_CONFIG, 0, le(0, 8, 0, 0L))));
        assertEquals(0, r.payload().getInt(0), "offset");
        assertEquals(8, r.payload().getInt(4), "size");
        assertEquals(42, r.payload().getLong(12));
    }

    @Test
    void ringMessagesReachTheDevice() throws Exception {
        assertNull(session.handle(msg(SET_VRING_NUM, 0, le(1, 256))));
        assertNull(session.handle(msg(SET_VRING_ADDR, 0, le(1, 0, 0x7f0000001000L, 0x7f0000003000L,
                0x7f0000002000L, 0L))));
        assertNull(session.handle(msg(SET_VRING_BASE, 0, le(1, 5))));
        assertNull(session.handle(msg(SET_VRING_ENABLE, 0, le(1, 1))));
        Reply base = Reply.of(session.handle(msg(GET_VRING_BASE, 0, le(1, 0))));
        assertEquals(1, base.payload().getInt(0));
        assertEquals(77, base.payload().getInt(4));
        assertEquals(List.of("size 1 256", "addr 1 7f0000001000 7f0000003000 7f0000002000", "base 1 5",
                "enable 1 true", "stop 1"), device.calls);
    }

    @Test
    void kickAndCallFdsAreHandedToTheDevice() throws Exception {
        int kick = Eventfd.create(Eventfd.EFD_CLOEXEC);
        int call = Eventfd.create(Eventfd.EFD_CLOEXEC);
        session.handle(msg(SET_VRING_KICK, 0, le(1L), kick));
        session.handle(msg(SET_VRING_CALL, 0, le(0L), call));
        session.handle(msg(SET_VRING_CALL, 0, le(0L | VRING_NOFD_MASK)));
        assertEquals(List.of("kick 1 fd", "call 0 fd", "call 0 none"), device.calls);
    }

    @Test
    void withoutProtocolFeaturesRingsStartEnabled() throws Exception {
        session.handle(msg(SET_FEATURES, 0, le(1L << 32)));
        assertEquals(List.of("enable 0 true", "enable 1 true"), device.calls);
    }

    @Test
    void withProtocolFeaturesRingsWaitForSetVringEnable() throws Exception {
        session.handle(msg(SET_FEATURES, 0, le((1L << 32) | (1L << 30))));
        assertEquals(List.of(), device.calls);
    }

    @Test
    void refusesFeaturesItDidNotOffer() throws Exception {
        session.handle(msg(SET_PROTOCOL_FEATURES, 0, le(VhostUserSession.PROTOCOL_FEATURES)));
        Reply r = Reply.of(session.handle(msg(SET_FEATURES, FLAG_NEED_REPLY, le(1L << 29))));
        assertEquals(1, r.payload().getLong(0));
        assertEquals(List.of(), device.calls);
    }

    @Test
    void acksWhenAskedOnceReplyAckIsNegotiated() throws Exception {
        assertNull(session.handle(msg(SET_OWNER, FLAG_NEED_REPLY, new byte[0])),
                "no ack before REPLY_ACK is negotiated");
        session.handle(msg(SET_PROTOCOL_FEATURES, 0, le(VhostUserSession.PROTOCOL_FEATURES)));
        Reply ok = Reply.of(session.handle(msg(SET_OWNER, FLAG_NEED_REPLY, new byte[0])));
        assertEquals(SET_OWNER, ok.request());
        assertEquals(0, ok.payload().getLong(0));

        Reply bad = Reply.of(session.handle(msg(SET_VRING_NUM, FLAG_NEED_REPLY, le(9, 256))));
        assertEquals(1, bad.payload().getLong(0), "queue 9 does not exist: a failure ack, not a dropped connection");
    }

    @Test
    void badQueueIndexWithoutAckIsLoggedNotFatal() throws Exception {
        assertNull(session.handle(msg(SET_VRING_NUM, 0, le(9, 256))));
        assertEquals(List.of(), device.calls);
    }

    @Test
    void queueSizeMustBeAPowerOfTwo() throws Exception {
        session.handle(msg(SET_PROTOCOL_FEATURES, 0, le(VhostUserSession.PROTOCOL_FEATURES)));
        Reply r = Reply.of(session.handle(msg(SET_VRING_NUM, FLAG_NEED_REPLY, le(0, 100))));
        assertEquals(1, r.payload().getLong(0));
    }

    @Test
    void memoryTableIsMappedFromTheFdsThatCameWithIt() throws Exception {
        int memfd = SharedMemory.memfd("test-ram", 1 << 20);
        byte[] table = le(1, 0, 0L, (long) (1 << 20), 0x7f1200000000L, 0L);
        assertNull(session.handle(msg(SET_MEM_TABLE, 0, table, memfd)));
        assertEquals(List.of("memory"), device.calls);
    }

    @Test
    void aMemoryTableDescribingMoreRegionsThanFdsIsRefused() throws Exception {
        session.handle(msg(SET_PROTOCOL_FEATURES, 0, le(VhostUserSession.PROTOCOL_FEATURES)));
        byte[] table = le(2, 0, 0L, 4096L, 0x1000L, 0L, 0x1000L, 4096L, 0x2000L, 0L);
        int memfd = SharedMemory.memfd("test-ram", 4096);
        Reply r = Reply.of(session.handle(msg(SET_MEM_TABLE, FLAG_NEED_REPLY, table, memfd)));
        assertEquals(1, r.payload().getLong(0));
        assertEquals(List.of(), device.calls);
    }

    @Test
    void resetOwnerResetsTheDevice() throws Exception {
        session.handle(msg(RESET_OWNER, 0, new byte[0]));
        assertEquals(List.of("reset"), device.calls);
    }

    @Test
    void aBrokenRequestThatNeedsAnAnswerDropsTheConnection() {
        assertThrows(VhostUserException.class, () -> session.handle(msg(GET_VRING_BASE, 0, new byte[3])));
    }

    @Test
    void unknownRequestsAreRefused() throws Exception {
        session.handle(msg(SET_PROTOCOL_FEATURES, 0, le(VhostUserSession.PROTOCOL_FEATURES)));
        Reply r = Reply.of(session.handle(msg(SET_LOG_BASE, FLAG_NEED_REPLY, le(0L, 0L))));
        assertEquals(1, r.payload().getLong(0));
        assertTrue(device.calls.isEmpty());
    }
}
