package io.podvisor.shim.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.StringValue;
import com.google.rpc.Code;
import io.podvisor.proto.ttrpc.Request;
import io.podvisor.proto.ttrpc.Response;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TtrpcServerTest {
    private static final String SERVICE = "test.v1.Echo";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final int concurrentCalls = 16;
    private final CountDownLatch allInFlight = new CountDownLatch(concurrentCalls);
    private final CountDownLatch interrupted = new CountDownLatch(1);
    private final List<Throwable> handlerErrors = new ArrayList<>();
    private TtrpcServer server;
    private TtrpcClient client;

    @BeforeEach
    void startServer() throws IOException {
        server = TtrpcServer.bind(dir.resolve("ttrpc.sock"), List.of(echoService()), (msg, e) -> handlerErrors.add(e));
        client = TtrpcClient.forSocket(server.socket());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private TtrpcService echoService() {
        return TtrpcService.named(SERVICE)
                .method("Echo", StringValue.parser(), (request, context) -> StringValue.of(
                        request.getValue() + context.firstMetadata(CallContext.NAMESPACE_KEY).map(ns -> "@" + ns).orElse("")))
                .method("Missing", StringValue.parser(), (request, context) -> {
                    throw new TtrpcException(Code.NOT_FOUND, "container " + request.getValue() + " not found");
                })
                .method("Together", StringValue.parser(), (request, context) -> {
                    allInFlight.countDown();
                    try {
                        if (!allInFlight.await(10, TimeUnit.SECONDS)) {
                            throw new TtrpcException(Code.ABORTED, "calls were not served concurrently");
                        }
                    } catch (InterruptedException e) {
                        throw new TtrpcException(Code.CANCELLED, "interrupted");
                    }
                    return request;
                })
                .method("Forever", Empty.parser(), (request, context) -> {
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        interrupted.countDown();
                    }
                    return Empty.getDefaultInstance();
                })
                .method("Crash", Empty.parser(), (request, context) -> {
                    throw new IllegalStateException("boom");
                })
                .build();
    }

    @Test
    void callReturnsTheHandlersAnswerAndSeesMetadata() throws TtrpcException {
        StringValue answer = client.call(SERVICE, "Echo", StringValue.of("hi"), StringValue.parser(), TIMEOUT,
                Map.of(CallContext.NAMESPACE_KEY, "k8s.io"));
        assertEquals("hi@k8s.io", answer.getValue());
    }

    @Test
    void unknownMethodAndServiceAreUnimplemented() {
        TtrpcException method = assertThrows(TtrpcException.class,
                () -> client.call(SERVICE, "Nope", Empty.getDefaultInstance(), Empty.parser(), TIMEOUT));
        assertEquals(Code.UNIMPLEMENTED, method.code());
        assertTrue(method.getMessage().contains("Nope"), method.getMessage());
        TtrpcException service = assertThrows(TtrpcException.class,
                () -> client.call("other.Service", "Echo", Empty.getDefaultInstance(), Empty.parser(), TIMEOUT));
        assertEquals(Code.UNIMPLEMENTED, service.code());
        assertTrue(service.getMessage().contains("other.Service"), service.getMessage());
    }

    @Test
    void handlerStatusReachesTheCaller() {
        TtrpcException e = assertThrows(TtrpcException.class,
                () -> client.call(SERVICE, "Missing", StringValue.of("c1"), Empty.parser(), TIMEOUT));
        assertEquals(Code.NOT_FOUND, e.code());
        assertEquals("container c1 not found", e.getMessage());
    }

    @Test
    void unexpectedHandlerFailureIsUnknownAndTheServerKeepsServing() throws TtrpcException {
        TtrpcException e = assertThrows(TtrpcException.class,
                () -> client.call(SERVICE, "Crash", Empty.getDefaultInstance(), Empty.parser(), TIMEOUT));
        assertEquals(Code.UNKNOWN, e.code());
        assertTrue(e.getMessage().contains("boom"), e.getMessage());
        assertEquals(1, handlerErrors.size());
        assertEquals("x", client.call(SERVICE, "Echo", StringValue.of("x"), StringValue.parser(), TIMEOUT).getValue());
    }

    @Test
    void requestsOnOneConnectionAreServedConcurrently() throws Exception {
        List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (int i = 0; i < concurrentCalls; i++) {
            calls.add(client.send(SERVICE, "Together", StringValue.of("call " + i).toByteString(), TIMEOUT, Map.of()));
        }
        for (int i = 0; i < concurrentCalls; i++) {
            Response response = calls.get(i).get(20, TimeUnit.SECONDS);
            assertEquals(Code.OK_VALUE, response.getStatus().getCode(), response.getStatus().getMessage());
            assertEquals("call " + i, StringValue.parseFrom(response.getPayload()).getValue());
        }
    }

    @Test
    void requestTimeoutAnswersDeadlineExceededAndInterruptsTheHandler() throws Exception {
        CompletableFuture<Response> call = client.send(SERVICE, "Forever", ByteString.EMPTY, Duration.ofMillis(300), Map.of());
        // The server's deadline fires first or the client's; either way the caller sees DEADLINE_EXCEEDED.
        Throwable failure = null;
        Response response = null;
        try {
            response = call.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            failure = e.getCause();
        }
        if (response != null) {
            assertEquals(Code.DEADLINE_EXCEEDED_VALUE, response.getStatus().getCode());
        } else {
            assertEquals(Code.DEADLINE_EXCEEDED, ((TtrpcException) failure).code());
        }
        assertTrue(interrupted.await(10, TimeUnit.SECONDS), "handler was not interrupted at its deadline");
    }

    @Test
    void serverHonoursTimeoutNanoOnTheWire() throws Exception {
        try (RawConnection raw = new RawConnection(server.socket())) {
            Request request = Request.newBuilder().setService(SERVICE).setMethod("Forever")
                    .setTimeoutNano(Duration.ofMillis(200).toNanos()).build();
            raw.send(1, Frame.TYPE_REQUEST, request.toByteArray());
            RawFrame answer = raw.receive();
            assertEquals(1, answer.streamId);
            assertEquals(Frame.TYPE_RESPONSE, answer.type);
            assertEquals(Code.DEADLINE_EXCEEDED_VALUE, Response.parseFrom(answer.payload).getStatus().getCode());
        }
        assertTrue(interrupted.await(10, TimeUnit.SECONDS));
    }

    @Test
    void evenStreamIdAndOversizedRequestAreRejectedOnTheirStream() throws Exception {
        try (RawConnection raw = new RawConnection(server.socket())) {
            Request echo = Request.newBuilder().setService(SERVICE).setMethod("Echo")
                    .setPayload(StringValue.of("a").toByteString()).build();
            raw.send(2, Frame.TYPE_REQUEST, echo.toByteArray());
            RawFrame even = raw.receive();
            assertEquals(2, even.streamId);
            assertEquals(Code.INVALID_ARGUMENT_VALUE, Response.parseFrom(even.payload).getStatus().getCode());

            raw.send(3, Frame.TYPE_REQUEST, new byte[Frame.MAX_PAYLOAD + 1]);
            RawFrame big = raw.receive();
            assertEquals(3, big.streamId);
            assertEquals(Code.RESOURCE_EXHAUSTED_VALUE, Response.parseFrom(big.payload).getStatus().getCode());

            raw.send(5, Frame.TYPE_REQUEST, echo.toByteArray());
            RawFrame ok = raw.receive();
            assertEquals(5, ok.streamId);
            Response response = Response.parseFrom(ok.payload);
            assertEquals(Code.OK_VALUE, response.getStatus().getCode());
            assertEquals("a", StringValue.parseFrom(response.getPayload()).getValue());
        }
    }

    @Test
    void clientReconnectsAfterTheServerRestarts() throws Exception {
        assertEquals("1", client.call(SERVICE, "Echo", StringValue.of("1"), StringValue.parser(), TIMEOUT).getValue());
        server.close();
        assertFalse(Files.exists(server.socket()), "closing the server removes its socket");
        TtrpcException down = assertThrows(TtrpcException.class,
                () -> client.call(SERVICE, "Echo", StringValue.of("2"), StringValue.parser(), TIMEOUT));
        assertEquals(Code.UNAVAILABLE, down.code());
        server = TtrpcServer.bind(server.socket(), List.of(echoService()), (msg, e) -> handlerErrors.add(e));
        assertEquals("3", client.call(SERVICE, "Echo", StringValue.of("3"), StringValue.parser(), TIMEOUT).getValue());
    }

    @Test
    void bindingAnExistingSocketFailsNamingIt() {
        IOException e = assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> TtrpcServer.bind(server.socket(), List.of(echoService()), (msg, t) -> { }));
        assertTrue(e.getMessage().contains(server.socket().toString()), e.getMessage());
        assertEquals(List.of(server.socket()), listDir(), "nothing but the socket is left in its directory");
    }

    private List<Path> listDir() {
        try (var files = Files.list(dir)) {
            return files.toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private record RawFrame(int streamId, byte type, byte[] payload) {
    }

    /** Speaks the wire format with plain JDK sockets, independent of the codec under test. */
    private static final class RawConnection implements AutoCloseable {
        private final SocketChannel channel;

        RawConnection(Path socket) throws IOException {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        }

        void send(int streamId, byte type, byte[] payload) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate(10 + payload.length);
            buffer.putInt(payload.length).putInt(streamId).put(type).put((byte) 0).put(payload).flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }

        RawFrame receive() throws IOException {
            ByteBuffer header = read(10);
            int length = header.getInt();
            int streamId = header.getInt();
            byte type = header.get();
            return new RawFrame(streamId, type, read(length).array());
        }

        private ByteBuffer read(int n) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate(n);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer) < 0) {
                    throw new IOException("connection closed");
                }
            }
            return buffer.flip();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
