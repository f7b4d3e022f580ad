package io.podvisor.shim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void encodesTheTenByteHeaderBigEndian() {
        EmbeddedChannel channel = new EmbeddedChannel(FrameEncoder.INSTANCE);
        channel.writeOutbound(new Frame(0x01020305, Frame.TYPE_RESPONSE, (byte) 0x04, new byte[] {(byte) 0xaa, (byte) 0xbb}));
        ByteBuf out = channel.readOutbound();
        assertEquals("00000002" + "01020305" + "02" + "04" + "aabb", ByteBufUtil.hexDump(out));
        out.release();
    }

    @Test
    void decodesFramesSplitAcrossReadsAndPackedTogether() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
        byte[] bytes = HEX.parseHex("00000003" + "00000001" + "01" + "00" + "616263"
                + "00000000" + "00000003" + "01" + "00"
                + "00000001" + "fffffffd" + "03" + "01" + "7a");
        for (int i = 0; i < bytes.length; i += 4) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(4, bytes.length - i)));
        }
        Frame first = channel.readInbound();
        assertEquals(1, first.streamId());
        assertEquals(Frame.TYPE_REQUEST, first.type());
        assertArrayEquals("abc".getBytes(), first.payload());
        Frame empty = channel.readInbound();
        assertEquals(3, empty.streamId());
        assertEquals(0, empty.payload().length);
        Frame data = channel.readInbound();
        assertEquals(0xfffffffdL, data.unsignedStreamId());
        assertEquals(Frame.TYPE_DATA, data.type());
        assertEquals(1, data.flags());
        assertArrayEquals(new byte[] {'z'}, data.payload());
        assertNull(channel.readInbound());
    }

    @Test
    void oversizedFrameIsSkippedAndTheNextFrameStillDecodes() {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder());
        int length = Frame.MAX_PAYLOAD + 1;
        ByteBuf big = Unpooled.buffer();
        big.writeInt(length).writeInt(5).writeByte(Frame.TYPE_REQUEST).writeByte(0);
        channel.writeInbound(big);
        OversizedFrame oversized = channel.readInbound();
        assertEquals(5, oversized.streamId());
        assertEquals(length, oversized.length());
        byte[] chunk = new byte[1 << 20];
        for (int sent = 0; sent < length; sent += chunk.length) {
            channel.writeInbound(Unpooled.wrappedBuffer(chunk, 0, Math.min(chunk.length, length - sent)));
        }
        assertNull(channel.readInbound());
        channel.writeInbound(Unpooled.wrappedBuffer(HEX.parseHex("00000001" + "00000007" + "01" + "00" + "41")));
        Frame next = channel.readInbound();
        assertEquals(7, next.streamId());
        assertArrayEquals(new byte[] {'A'}, next.payload());
    }
}
