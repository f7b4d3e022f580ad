package io.podvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.PortForwardInput;
import io.podvisor.proto.agent.v1.PortForwardOutput;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's PortForward over a unix socket, to real TCP servers on this machine's loopback. */
class PortForwardOverUnixSocketTest {
    @TempDir
    static Path dir;

    private static UnixSocketAgent agent;
    private static AgentGrpc.AgentStub stub;

    @BeforeAll
    static void startAgent() throws Exception {
        agent = UnixSocketAgent.start(dir.resolve("agent.sock"));
        stub = agent.stub();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    @Test
    void dataGoesBothWaysAndHalfClosesReachTheOtherEnd() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // Answers what it read, upper-cased, once the client half-closed; then closes.
            Thread.ofVirtual().start(() -> {
                try (Socket client = server.accept(); InputStream in = client.getInputStream();
                        OutputStream out = client.getOutputStream()) {
                    out.write(new String(in.readAllBytes(), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT)
                            .getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    // the test's assertions report it
                }
            });
            Recorder call = new Recorder();
            StreamObserver<PortForwardInput> input = stub.portForward(call);
            input.onNext(PortForwardInput.newBuilder().setPort(server.getLocalPort()).build());
            input.onNext(PortForwardInput.newBuilder().setData(ByteString.copyFromUtf8("hello ")).build());
            input.onNext(PortForwardInput.newBuilder().setData(ByteString.copyFromUtf8("guest")).build());
            input.onNext(PortForwardInput.newBuilder().setEof(true).build());

            call.end.get(30, TimeUnit.SECONDS);
            input.onCompleted();
            assertEquals("HELLO GUEST", call.data.toString(StandardCharsets.UTF_8));
            assertEquals(PortForwardOutput.OutputCase.CONNECTED, call.order.getFirst());
            assertEquals(PortForwardOutput.OutputCase.EOF, call.order.getLast());
        }
    }

    @Test
    void aPortNobodyListensOnFailsTheCallNamingIt() throws Exception {
        int port;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = unused.getLocalPort();
        }
        Recorder call = new Recorder();
        StreamObserver<PortForwardInput> input = stub.portForward(call);
        input.onNext(PortForwardInput.newBuilder().setPort(port).build());

        Status status = Status.fromThrowable(call.end.handle((ok, error) -> error).get(30, TimeUnit.SECONDS));
        assertEquals(Status.Code.UNAVAILABLE, status.getCode());
        assertTrue(status.getDescription().contains("port " + port), status.getDescription());
        assertEquals(List.of(), call.order);
    }

    private static final class Recorder implements StreamObserver<PortForwardOutput> {
        final List<PortForwardOutput.OutputCase> order = new ArrayList<>();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final CompletableFuture<Void> end = new CompletableFuture<>();

        @Override
        public synchronized void onNext(PortForwardOutput output) {
            order.add(output.getOutputCase());
            data.writeBytes(output.getData().toByteArray());
        }

        @Override
        public void onError(Throwable t) {
            end.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            end.complete(null);
        }
    }
}
