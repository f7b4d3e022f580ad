package io.podvisor.shim.agent;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.GetGuestInfoRequest;
import io.podvisor.proto.agent.v1.GuestInfo;
import io.podvisor.proto.agent.v1.MountRequest;
import io.podvisor.proto.agent.v1.MountResponse;
import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.proto.agent.v1.ProcessStarted;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent client against a guest agent that misbehaves: a real gRPC server on a unix socket
 * behind a small hybrid vsock front (CONNECT line, OK line, then bytes both ways), as the VM's
 * vsock socket would be.
 */
class AgentClientTest {
    private static final Duration CALL_TIMEOUT = Duration.ofMillis(500);

    @TempDir
    Path dir;
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    private EventLoopGroup serverLoop;
    private Server server;
    private ServerSocketChannel hybrid;
    private AgentClient client;

    /** What the fake agent does; each test sets the calls it needs. */
    private final class FakeAgent extends AgentGrpc.AgentImplBase {
        volatile int guestInfoPadding;
        volatile boolean neverStart;
        volatile Duration runFor = Duration.ZERO;

        @Override
        public void getGuestInfo(GetGuestInfoRequest request, StreamObserver<GuestInfo> response) {
            response.onNext(GuestInfo.newBuilder().setKernelRelease("x".repeat(guestInfoPadding)).build());
            response.onCompleted();
        }

        @Override
        public void mount(MountRequest request, StreamObserver<MountResponse> response) {
            // Never answers.
        }

        @Override
        public StreamObserver<ProcessInput> runProcess(StreamObserver<ProcessOutput> output) {
            return new StreamObserver<>() {
                @Override
                public void onNext(ProcessInput input) {
                    if (!input.hasStart() || neverStart) {
                        return;
                    }
                    output.onNext(ProcessOutput.newBuilder().setStarted(ProcessStarted.newBuilder().setPid(42)).build());
                    later.schedule(() -> {
                        output.onNext(ProcessOutput.newBuilder().setStdout(
                                com.google.protobuf.ByteString.copyFromUtf8("done\n")).build());
                        output.onNext(ProcessOutput.newBuilder().setExit(ProcessExit.newBuilder().setExitCode(3)).build());
                        output.onCompleted();
                    }, runFor.toMillis(), TimeUnit.MILLISECONDS);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
    }

    private final FakeAgent agent = new FakeAgent();

    @BeforeEach
    void start() throws IOException {
        Path grpcSocket = dir.resolve("agent.sock");
        serverLoop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(grpcSocket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(serverLoop)
                .workerEventLoopGroup(serverLoop)
                .addService(agent)
                .build()
                .start();
        Path vsock = dir.resolve("vsock.sock");
        hybrid = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        hybrid.bind(UnixDomainSocketAddress.of(vsock));
        Thread.ofVirtual().start(() -> serveHybrid(grpcSocket));
        client = AgentClient.connect("pod-x", vsock, CALL_TIMEOUT);
    }

    /** Answers each CONNECT line with OK and splices the client to the gRPC server. */
    private void serveHybrid(Path grpcSocket) {
        while (true) {
            SocketChannel c;
            try {
                c = hybrid.accept();
            } catch (IOException e) {
                return;
            }
            Thread.ofVirtual().start(() -> {
                try (c; SocketChannel agentSide = SocketChannel.open(UnixDomainSocketAddress.of(grpcSocket))) {
                    ByteBuffer one = ByteBuffer.allocate(1);
                    while (c.read(one.clear()) == 1 && one.get(0) != '\n') {
                        // the CONNECT line
                    }
                    c.write(ByteBuffer.wrap("OK 1073741824\n".getBytes(StandardCharsets.US_ASCII)));
                    Thread back = Thread.ofVirtual().start(() -> pump(agentSide, c));
                    pump(c, agentSide);
                    back.join();
                } catch (IOException | InterruptedException ignored) {
                    // a side went away
                }
            });
        }
    }

    private static void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(b.clear()) >= 0) {
                b.flip();
                while (b.hasRemaining()) {
                    to.write(b);
                }
            }
            to.shutdownOutput();
        } catch (IOException ignored) {
            // the other side closed
        }
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        hybrid.close();
        later.shutdownNow();
    }

    private static ProcessStart exec() {
        return ProcessStart.newBuilder().setContainerId("c1").setExecId("e1").addAllArgs(List.of("sleep", "1")).build();
    }

    @Test
    void anAnswerWithinTheLimitArrives() throws Exception {
        agent.guestInfoPadding = AgentClient.MAX_INBOUND_MESSAGE - 1024;
        assertEquals(AgentClient.MAX_INBOUND_MESSAGE - 1024, client.guestInfo().getKernelRelease().length());
    }

    @Test
    void anAnswerLargerThanTheLimitFailsTheCallNamingTheVm() {
        agent.guestInfoPadding = AgentClient.MAX_INBOUND_MESSAGE + 1;
        AgentException e = assertThrows(AgentException.class, client::guestInfo);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.code());
        assertTrue(e.getMessage().contains("pod-x"), e.getMessage());
    }

    @Test
    void aCallTheAgentNeverAnswersEndsAtTheDeadline() {
        long start = System.nanoTime();
        AgentException e = assertThrows(AgentException.class,
                () -> client.mount("share", "/run/share", "virtiofs", List.of()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.code());
        assertTrue(e.getMessage().contains("pod-x") && e.getMessage().contains("Mount"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
    }

    @Test
    void aProcessThatRunsLongerThanTheCallTimeoutIsNotCutOff() throws Exception {
        agent.runFor = CALL_TIMEOUT.multipliedBy(3);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessExit exit = client.run(exec(), new ByteArrayInputStream(new byte[0]), out, new ByteArrayOutputStream());
        assertEquals(3, exit.getExitCode());
        assertEquals("done\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aProcessTheAgentNeverStartsFailsAfterTheCallTimeout() {
        agent.neverStart = true;
        GuestProcess process = client.start(exec(), new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(),
                new ByteArrayOutputStream());
        CompletableFuture<Integer> pid = process.pid().toCompletableFuture();
        ExecutionException e = assertThrows(ExecutionException.class, () -> pid.get(10, TimeUnit.SECONDS));
        AgentException cause = assertInstanceOf(AgentException.class, e.getCause());
        assertEquals(Status.Code.DEADLINE_EXCEEDED, cause.code());
        assertTrue(cause.getMessage().contains("pod-x") && cause.getMessage().contains("exec e1"), cause.getMessage());
        assertThrows(ExecutionException.class, () -> process.exit().toCompletableFuture().get(10, TimeUnit.SECONDS));
    }
}
