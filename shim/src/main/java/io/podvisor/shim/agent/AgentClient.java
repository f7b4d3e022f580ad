package io.podvisor.shim.agent;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.podvisor.hypervisor.vsock.HybridVsock;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.GetGuestInfoRequest;
import io.podvisor.proto.agent.v1.GuestInfo;
import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.proto.agent.v1.ShutdownRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** The host's side of the agent API: gRPC over the VM's hybrid vsock socket, port 1024. */
public final class AgentClient implements AutoCloseable {
    public static final int AGENT_PORT = 1024;
    private static final EventLoopGroup EVENT_LOOP = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("agent-client", true), EpollIoHandler.newFactory());

    private final String vmName;
    private final ManagedChannel channel;
    private final AgentGrpc.AgentBlockingStub blocking;
    private final AgentGrpc.AgentStub async;

    private AgentClient(String vmName, ManagedChannel channel) {
        this.vmName = vmName;
        this.channel = channel;
        this.blocking = AgentGrpc.newBlockingStub(channel);
        this.async = AgentGrpc.newStub(channel);
    }

    public static AgentClient connect(String vmName, Path vsockSocket) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(vsockSocket.toString()))
                .eventLoopGroup(EVENT_LOOP)
                .channelFactory(() -> {
                    EpollDomainSocketChannel ch = new EpollDomainSocketChannel();
                    ch.pipeline().addFirst(HybridVsock.handshakeHandler(AGENT_PORT));
                    return ch;
                })
                .usePlaintext()
                .build();
        return new AgentClient(vmName, channel);
    }

    public String vmName() {
        return vmName;
    }

    public GuestInfo guestInfo() throws AgentException {
        try {
            return blocking.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getGuestInfo(GetGuestInfoRequest.newBuilder().setHostVersion(Versions.host()).build());
        } catch (RuntimeException e) {
            throw AgentException.of(vmName, "GetGuestInfo", e);
        }
    }

    /**
     * Runs a process in the guest, copying {@code stdin} to it (until EOF) and its output to
     * {@code stdout}/{@code stderr}. Returns once the process exited and all its output arrived.
     */
    public ProcessExit run(ProcessStart start, InputStream stdin, OutputStream stdout, OutputStream stderr)
            throws AgentException {
        String call = "RunProcess " + start.getArgsList();
        CompletableFuture<ProcessExit> exit = new CompletableFuture<>();
        StdinPump pump = new StdinPump(stdin);
        async.runProcess(new ClientResponseObserver<ProcessInput, ProcessOutput>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ProcessInput> requests) {
                pump.attach(requests);
            }

            @Override
            public void onNext(ProcessOutput out) {
                try {
                    switch (out.getOutputCase()) {
                        case STARTED -> pump.startWhenStarted();
                        case STDOUT -> write(stdout, out.getStdout());
                        case STDERR -> write(stderr, out.getStderr());
                        case EXIT -> exit.complete(out.getExit());
                        default -> { }
                    }
                } catch (IOException e) {
                    exit.completeExceptionally(e);
                }
            }

            @Override
            public void onError(Throwable t) {
                exit.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                exit.completeExceptionally(new IOException("the agent ended the stream without an exit status"));
            }
        });
        pump.send(ProcessInput.newBuilder().setStart(start).build());
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw AgentException.of(vmName, call, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AgentException.of(vmName, call, e);
        } finally {
            pump.stop();
        }
    }

    /** Asks the agent to sync and power the guest off. */
    public void shutdown() throws AgentException {
        try {
            blocking.withDeadlineAfter(30, TimeUnit.SECONDS).shutdown(ShutdownRequest.getDefaultInstance());
        } catch (RuntimeException e) {
            throw AgentException.of(vmName, "Shutdown", e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void write(OutputStream out, ByteString bytes) throws IOException {
        bytes.writeTo(out);
        out.flush();
    }
}
