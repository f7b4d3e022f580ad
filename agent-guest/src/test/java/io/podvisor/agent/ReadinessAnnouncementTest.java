package io.podvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadinessAnnouncementTest {

    @TempDir
    Path dir;

    @Test
    void agentAnnouncesReadinessOnceListening() throws Exception {
        Path readySocket = dir.resolve("ready.sock");
        try (ServerSocketChannel host = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            host.bind(UnixDomainSocketAddress.of(readySocket));
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel peer = host.accept();
                        var reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(peer),
                                StandardCharsets.US_ASCII))) {
                    return reader.readLine() + (reader.read() == -1 ? "<EOF>" : "<more>");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Agent agent = Agent.start("--listen", "unix:" + dir.resolve("agent.sock"), "--ready", "unix:" + readySocket);
            try {
                assertEquals("READY dev<EOF>", line.get(10, TimeUnit.SECONDS));
            } finally {
                agent.stop();
            }
        }
    }

    @Test
    void optionsDefaultToVsockAndTheHostReadinessPort() {
        AgentOptions options = AgentOptions.parse("--guest");
        assertEquals("vsock:1024", options.listen().toString());
        assertEquals("vsock:2:1025", options.ready().orElseThrow().toString());
        assertEquals(true, options.guest());
    }
}
