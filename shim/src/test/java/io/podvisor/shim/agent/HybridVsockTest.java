package io.podvisor.shim.agent;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The blocking client and the Netty handshake against a scripted hybrid vsock server on a real unix socket. */
class HybridVsockTest {
    @TempDir
    Path dir;
    private ServerSocketChannel server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** Serves one client: reads its CONNECT line into the returned future, then answers {@code answer}. */
    private CompletableFuture<String> serveOnce(Path socket, String answer, boolean closeAfter) throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        CompletableFuture<String> line = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel c = server.accept()) {
                StringBuilder b = new StringBuilder();
                ByteBuffer one = ByteBuffer.allocate(1);
                while (c.read(one.clear()) > 0 && one.get(0) != '\n') {
                    b.append((char) one.get(0));
                }
                line.complete(b.toString());
                c.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
                if (!closeAfter) {
                    c.read(ByteBuffer.allocate(1));
                }
            } catch (IOException e) {
                line.completeExceptionally(e);
            }
        });
        return line;
    }

    @Test
    void connectsAndLeavesTheBytesAfterOkInTheStream() throws Exception {
        Path socket = dir.resolve("vsock.sock");
        CompletableFuture<String> line = serveOnce(socket, "OK 1073741824\nhello", true);
        try (SocketChannel c = HybridVsock.connect(socket, 1024, Duration.ofSeconds(5))) {
            assertEquals("CONNECT 1024", line.get(5, TimeUnit.SECONDS));
            assertTrue(c.isBlocking());
            ByteBuffer b = ByteBuffer.allocate(5);
            while (b.hasRemaining() && c.read(b) >= 0) {
                // read the rest
            }
            assertEquals("hello", new String(b.array(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aMissingSocketMeansTheVmIsNotRunning() {
        Path socket = dir.resolve("nothing.sock");
        IOException e = assertThrows(IOException.class, () -> HybridVsock.connect(socket, 1024, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains(socket.toString()) && e.getMessage().contains("VM running"), e.getMessage());
    }

    @Test
    void aStaleSocketFileSaysNobodyServesIt() throws Exception {
        Path socket = dir.resolve("stale.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(socket));
        }
        IOException e = assertThrows(IOException.class, () -> HybridVsock.connect(socket, 1024, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("not serving"), e.getMessage());
    }

    @Test
    void closedWithoutOkMeansTheGuestPortIsNotListening() throws Exception {
        Path socket = dir.resolve("vsock.sock");
        serveOnce(socket, "", true);
        IOException e = assertThrows(IOException.class, () -> HybridVsock.connect(socket, 5000, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("vsock port 5000") && e.getMessage().contains(socket.toString()),
                e.getMessage());
    }

    @Test
    void aWrongAnswerIsReportedVerbatim() throws Exception {
        Path socket = dir.resolve("vsock.sock");
        serveOnce(socket, "NOPE\n", true);
        IOException e = assertThrows(IOException.class, () -> HybridVsock.connect(socket, 5000, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("\"NOPE\""), e.getMessage());
    }

    @Test
    void noAnswerTimesOut() throws Exception {
        Path socket = dir.resolve("vsock.sock");
        serveOnce(socket, "", false);
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> HybridVsock.connect(socket, 5000, Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("within 300 ms"), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3));
    }

    @Test
    void nettyClientWithTheHandshakeHandlerSeesOnlyTheGuestsBytes() throws Exception {
        Path socket = dir.resolve("vsock.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        CompletableFuture<String> guestSide = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel c = server.accept()) {
                ByteBuffer connect = ByteBuffer.allocate("CONNECT 1024\n".length());
                while (connect.hasRemaining() && c.read(connect) >= 0) {
                    // the whole CONNECT line
                }
                // The OK line and the guest's first bytes in one write: the handler must pass "pong" on.
                c.write(ByteBuffer.wrap("OK 1073741824\npong".getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer ping = ByteBuffer.allocate(4);
                while (ping.hasRemaining() && c.read(ping) >= 0) {
                    // what the pipeline wrote once active
                }
                guestSide.complete(new String(connect.array(), StandardCharsets.US_ASCII)
                        + new String(ping.array(), StandardCharsets.US_ASCII));
                c.read(ByteBuffer.allocate(1));
            } catch (IOException e) {
                guestSide.completeExceptionally(e);
            }
        });
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
            Bootstrap bootstrap = new Bootstrap().group(group)
                    .channel(EpollDomainSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(HybridVsock.handshakeHandler(1024),
                                    new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelActive(ChannelHandlerContext ctx) {
                                            events.add("active");
                                            ctx.writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII));
                                        }

                                        @Override
                                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                            ByteBuf b = (ByteBuf) msg;
                                            events.add("read " + b.toString(StandardCharsets.US_ASCII));
                                            b.release();
                                        }
                                    });
                        }
                    });
            Channel channel = bootstrap.connect(new DomainSocketAddress(socket.toString())).sync().channel();
            assertEquals("CONNECT 1024\nping", guestSide.get(5, TimeUnit.SECONDS));
            assertEquals("active", events.poll(5, TimeUnit.SECONDS));
            assertEquals("read pong", events.poll(5, TimeUnit.SECONDS));
            channel.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
