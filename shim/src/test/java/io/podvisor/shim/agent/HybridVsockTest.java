package io.podvisor.hypervisor.vsock;

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
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The blocking client against a scripted hybrid vsock server on a real unix socket. */
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
}
