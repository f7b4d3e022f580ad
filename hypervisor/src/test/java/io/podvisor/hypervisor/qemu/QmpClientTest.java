package io.podvisor.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.hypervisor.VmState;
import io.podvisor.hypervisor.VmmException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class QmpClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GREETING =
            "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}";
    private static final Duration LONG = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    private final List<String> commandsSeen = new CopyOnWriteArrayList<>();
    private ServerSocketChannel server;

    /**
     * A QMP server for one connection: greets, then answers each command with the lines
     * {@code answer} returns for it ({@code null}: hang up). {@code $ID} becomes the command's id.
     */
    private Path serve(Function<String, List<String>> answer) throws IOException {
        Path socket = tmp.resolve("qmp.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofVirtual().start(() -> {
            try (SocketChannel conn = server.accept();
                 BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(conn), StandardCharsets.UTF_8));
                 OutputStream out = Channels.newOutputStream(conn)) {
                out.write((GREETING + "\r\n").getBytes(StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode cmd = JSON.readTree(line);
                    String name = cmd.path("execute").asText();
                    commandsSeen.add(name);
                    List<String> lines = name.equals("qmp_capabilities") ? List.of("{\"return\": {}, \"id\": \"$ID\"}") : answer.apply(name);
                    if (lines == null) {
                        return;
                    }
                    for (String l : lines) {
                        out.write((l.replace("$ID", cmd.path("id").asText()) + "\r\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException ignored) {
                // The client went away; the test asserts what it saw.
            }
        });
        return socket;
    }

    @AfterEach
    void stopServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void negotiatesCapabilitiesThenReadsTheRunState() throws Exception {
        Path socket = serve(cmd -> List.of(
                "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}",
                "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": \"$ID\"}"));
        try (QmpClient qmp = QmpClient.connect("pod-q", socket, () -> true, LONG)) {
            assertEquals(VmState.RUNNING, qmp.status(LONG));
        }
        assertEquals(List.of("qmp_capabilities", "query-status"), commandsSeen);
    }

    @Test
    void replyIsMatchedByItsIdNotByArrivalOrder() throws Exception {
        Path socket = serve(cmd -> List.of(
                "{\"return\": {\"status\": \"paused\"}, \"id\": \"not-ours\"}",
                "{\"return\": {\"status\": \"shutdown\"}, \"id\": \"$ID\"}"));
        try (QmpClient qmp = QmpClient.connect("pod-q", socket, () -> true, LONG)) {
            assertEquals(VmState.SHUTDOWN, qmp.status(LONG));
        }
    }

    @Test
    void qmpErrorBecomesAnExceptionNamingTheVmAndQemusReason() throws Exception {
        Path socket = serve(cmd -> List.of(
                "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}, \"id\": \"$ID\"}"));
        try (QmpClient qmp = QmpClient.connect("pod-q", socket, () -> true, LONG)) {
            VmmException e = assertThrows(VmmException.class, () -> qmp.execute("nope", null, LONG));
            assertEquals("VM pod-q: QMP nope failed: CommandNotFound: The command nope has not been found", e.getMessage());
        }
    }

    @Test
    void hangupFailsAPendingCommandAtOnceNotAtItsTimeout() throws Exception {
        Path socket = serve(cmd -> null);
        try (QmpClient qmp = QmpClient.connect("pod-q", socket, () -> true, LONG)) {
            long start = System.nanoTime();
            VmmException e = assertThrows(VmmException.class, () -> qmp.execute("quit", null, LONG));
            assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0);
            assertTrue(e.getMessage().contains("QEMU closed the QMP connection"), e.getMessage());
            VmmException after = assertThrows(VmmException.class, () -> qmp.status(LONG));
            assertTrue(after.getMessage().contains("QEMU closed the QMP connection"), after.getMessage());
        }
    }

    @Test
    void silentServerTimesOut() throws Exception {
        Path socket = serve(cmd -> List.of());
        try (QmpClient qmp = QmpClient.connect("pod-q", socket, () -> true, LONG)) {
            VmmException e = assertThrows(VmmException.class, () -> qmp.status(Duration.ofMillis(200)));
            assertEquals("VM pod-q: QEMU did not answer QMP query-status within 200 ms", e.getMessage());
        }
    }

    @Test
    void nothingListeningAndServerGoneIsAConnectError() {
        VmmException e = assertThrows(VmmException.class,
                () -> QmpClient.connect("pod-q", tmp.resolve("absent.sock"), () -> false, LONG));
        assertTrue(e.getMessage().startsWith("VM pod-q: cannot connect to QMP socket"), e.getMessage());
    }

    @Test
    void runStatesMapToVmStates() {
        assertEquals(VmState.RUNNING, QmpClient.toVmState("running"));
        assertEquals(VmState.CREATED, QmpClient.toVmState("prelaunch"));
        assertEquals(VmState.PAUSED, QmpClient.toVmState("paused"));
        assertEquals(VmState.PAUSED, QmpClient.toVmState("suspended"));
        assertEquals(VmState.SHUTDOWN, QmpClient.toVmState("shutdown"));
        assertEquals(VmState.SHUTDOWN, QmpClient.toVmState("guest-panicked"));
    }
}
