package io.podvisor.shim.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HybridHandshakeHandlerTest {

    /** What the rest of a client pipeline (grpc's handlers, say) would observe. */
    private static final class Downstream extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();
        Throwable error;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            events.add("active");
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            events.add("read " + b.toString(StandardCharsets.US_ASCII));
            b.release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            error = cause;
        }
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static String outbound(EmbeddedChannel channel) {
        ByteBuf b = channel.readOutbound();
        if (b == null) {
            return null;
        }
        String s = b.toString(StandardCharsets.US_ASCII);
        b.release();
        return s;
    }

    @Test
    void sendsConnectAndHoldsActiveUntilOk() {
        Downstream downstream = new Downstream();
        EmbeddedChannel channel = new EmbeddedChannel(HybridVsock.handshakeHandler(1024), downstream);
        assertEquals("CONNECT 1024\n", outbound(channel));
        assertEquals(List.of(), downstream.events, "nobody sees the channel active before OK");

        channel.writeInbound(ascii("OK 1073741824\n"));
        assertEquals(List.of("active"), downstream.events);
        assertNull(channel.pipeline().get(HybridHandshakeHandler.class), "the handler removed itself");
    }

    @Test
    void passesOnBytesThatFollowTheOkLine() {
        Downstream downstream = new Downstream();
        EmbeddedChannel channel = new EmbeddedChannel(HybridVsock.handshakeHandler(7), downstream);
        outbound(channel);
        channel.writeInbound(ascii("OK 9"));
        channel.writeInbound(ascii("9\nPRI * HTTP/2.0"));
        assertEquals(List.of("active", "read PRI * HTTP/2.0"), downstream.events);
    }

    @Test
    void holdsBackWritesUntilTheHandshakeIsDone() {
        EmbeddedChannel channel = new EmbeddedChannel(HybridVsock.handshakeHandler(7), new Downstream());
        assertEquals("CONNECT 7\n", outbound(channel));
        ChannelFuture early = channel.writeAndFlush(ascii("preface"));
        assertNull(outbound(channel), "nothing but CONNECT goes out before OK");
        channel.writeInbound(ascii("OK 1\n"));
        assertEquals("preface", outbound(channel));
        assertTrue(early.isSuccess());
    }

    @Test
    void aWrongAnswerFailsAndClosesTheChannel() {
        Downstream downstream = new Downstream();
        EmbeddedChannel channel = new EmbeddedChannel(HybridVsock.handshakeHandler(1024), downstream);
        outbound(channel);
        ChannelFuture pending = channel.writeAndFlush(ascii("x"));
        channel.writeInbound(ascii("ERROR\n"));
        assertInstanceOf(IOException.class, downstream.error);
        assertTrue(downstream.error.getMessage().contains("CONNECT 1024"), downstream.error.getMessage());
        assertFalse(channel.isOpen());
        assertFalse(pending.isSuccess());
        assertFalse(downstream.events.contains("active"));
    }

    @Test
    void anEndlessAnswerIsCutOff() {
        Downstream downstream = new Downstream();
        EmbeddedChannel channel = new EmbeddedChannel(HybridVsock.handshakeHandler(1024), downstream);
        outbound(channel);
        channel.writeInbound(ascii("x".repeat(100)));
        assertInstanceOf(IOException.class, downstream.error);
        assertFalse(channel.isOpen());
    }

    @Test
    void closeBeforeOkSaysTheGuestPortIsNotListening() {
        Downstream downstream = new Downstream();
        EmbeddedChannel channel = new EmbeddedChannel(HybridVsock.handshakeHandler(1024), downstream);
        outbound(channel);
        channel.pipeline().fireChannelInactive();
        assertTrue(downstream.error.getMessage().contains("vsock port 1024"), downstream.error.getMessage());
    }

    @Test
    void noAnswerTimesOut() {
        Downstream downstream = new Downstream();
        EmbeddedChannel channel = new EmbeddedChannel(HybridVsock.handshakeHandler(1024), downstream);
        outbound(channel);
        channel.advanceTimeBy(HybridVsock.HANDSHAKE_TIMEOUT.toSeconds() + 1, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(downstream.error.getMessage().contains("no answer"), downstream.error.getMessage());
        assertFalse(channel.isOpen());
    }
}
