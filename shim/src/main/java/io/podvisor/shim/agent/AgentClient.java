package io.podvisor.shim.agent;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.StreamObserver;
import io.podvisor.proto.agent.v1.AgentEvent;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.ConfigureNetworkRequest;
import io.podvisor.proto.agent.v1.ContainerStatsRequest;
import io.podvisor.proto.agent.v1.ContainerStatsResponse;
import io.podvisor.proto.agent.v1.CreateContainerRequest;
import io.podvisor.proto.agent.v1.ListProcessesRequest;
import io.podvisor.proto.agent.v1.MountRequest;
import io.podvisor.proto.agent.v1.PauseContainerRequest;
import io.podvisor.proto.agent.v1.PortForwardInput;
import io.podvisor.proto.agent.v1.PortForwardOutput;
import io.podvisor.proto.agent.v1.RemoveContainerRequest;
import io.podvisor.proto.agent.v1.ResumeContainerRequest;
import io.podvisor.proto.agent.v1.SignalProcessRequest;
import io.podvisor.proto.agent.v1.UpdateContainerRequest;
import io.podvisor.proto.agent.v1.WatchEventsRequest;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;

/**
 * The host's side of the agent API: gRPC over the VM's hybrid vsock socket, port 1024. The agent
 * runs in the guest and is not trusted: no message from it may exceed {@link #MAX_INBOUND_MESSAGE},
 * and no call waits for it forever. Every unary call has a deadline of {@link #CALL_TIMEOUT}.
 * A process run through {@link #start} has that long to start; once it runs, its stream has no
 * deadline (an exec or a container lives as long as it lives: it ends when the process exits or
 * the caller signals it). {@link #watchEvents} lasts as long as the VM.
 */
public final class AgentClient implements AutoCloseable {
    public static final int AGENT_PORT = 1024;
    /**
     * The largest message the agent may send (gRPC's default would be 4 MiB): its largest are output
     * chunks of 32 KiB and process lists.
     */
    static final int MAX_INBOUND_MESSAGE = 1 << 20;
    static final int MAX_INBOUND_METADATA = 16 << 10;
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final EventLoopGroup EVENT_LOOP = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("agent-client", true), EpollIoHandler.newFactory());

    private final String vmName;
    private final Duration callTimeout;
    private final ManagedChannel channel;
    private final AgentGrpc.AgentBlockingStub blocking;
    private final AgentGrpc.AgentStub async;

    private AgentClient(String vmName, Duration callTimeout, ManagedChannel channel) {
        this.vmName = vmName;
        this.callTimeout = callTimeout;
        this.channel = channel;
        this.blocking = AgentGrpc.newBlockingStub(channel);
        this.async = AgentGrpc.newStub(channel);
    }

    public static AgentClient connect(String vmName, Path vsockSocket) {
        return connect(vmName, vsockSocket, CALL_TIMEOUT);
    }

    static AgentClient connect(String vmName, Path vsockSocket, Duration callTimeout) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(vsockSocket.toString()))
                .eventLoopGroup(EVENT_LOOP)
                .channelFactory(() -> {
                    EpollDomainSocketChannel ch = new EpollDomainSocketChannel();
                    ch.pipeline().addFirst(HybridVsock.handshakeHandler(AGENT_PORT));
                    return ch;
                })
                .usePlaintext()
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE)
                .maxInboundMetadataSize(MAX_INBOUND_METADATA)
                .build();
        return new AgentClient(vmName, callTimeout, channel);
    }

    public String vmName() {
        return vmName;
    }

    public GuestInfo guestInfo() throws AgentException {
        return call("GetGuestInfo", () -> blocking().getGuestInfo(
                GetGuestInfoRequest.newBuilder().setHostVersion(Versions.host()).build()));
    }

    /**
     * Runs a process in the guest, copying {@code stdin} to it (until EOF) and its output to
     * {@code stdout}/{@code stderr}. Returns once the process exited and all its output arrived.
     */
    public ProcessExit run(ProcessStart start, InputStream stdin, OutputStream stdout, OutputStream stderr)
            throws AgentException {
        try {
            return start(start, stdin, stdout, stderr).exit().toCompletableFuture().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AgentException agentException) {
                throw agentException;
            }
            throw AgentException.of(vmName, describe(start), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AgentException.of(vmName, describe(start), e);
        }
    }

    /**
     * Starts a process in the guest; its stdin is copied from {@code stdin} once it runs, its
     * output is written to {@code stdout}/{@code stderr} as it comes. Failures complete the
     * returned process's futures with an {@link AgentException}; so does an agent that has not
     * reported the process started within the call timeout (the stream is then cancelled).
     */
    public GuestProcess start(ProcessStart start, InputStream stdin, OutputStream stdout, OutputStream stderr) {
        String call = describe(start);
        StdinPump pump = new StdinPump(stdin);
        GuestProcess process = new GuestProcess(pump);
        async.runProcess(new ClientResponseObserver<ProcessInput, ProcessOutput>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ProcessInput> requests) {
                pump.attach(requests);
                ScheduledFuture<?> startDeadline = EVENT_LOOP.schedule(() -> {
                    if (!process.pid().toCompletableFuture().isDone()) {
                        process.failed(new AgentException("guest agent of VM " + vmName + " did not start " + call
                                + " within " + callTimeout.toSeconds() + " s", Status.Code.DEADLINE_EXCEEDED, null));
                        requests.cancel("the process did not start in time", null);
                    }
                }, callTimeout.toNanos(), TimeUnit.NANOSECONDS);
                process.pid().whenComplete((pid, failure) -> startDeadline.cancel(false));
            }

            @Override
            public void onNext(ProcessOutput out) {
                try {
                    switch (out.getOutputCase()) {
                        case STARTED -> process.started(out.getStarted().getPid());
                        case STDOUT -> write(stdout, out.getStdout());
                        case STDERR -> write(stderr, out.getStderr());
                        case EXIT -> process.exited(out.getExit());
                        default -> { }
                    }
                } catch (IOException e) {
                    process.failed(new AgentException("VM " + vmName + ": " + call
                            + ": cannot write the process's output: " + e.getMessage(), null, e));
                }
            }

            @Override
            public void onError(Throwable t) {
                process.failed(AgentException.of(vmName, call, t));
            }

            @Override
            public void onCompleted() {
                process.failed(new AgentException("guest agent of VM " + vmName + " ended " + call
                        + " without an exit status", null, null));
            }
        });
        pump.send(ProcessInput.newBuilder().setStart(start).build());
        return process;
    }

    private static String describe(ProcessStart start) {
        if (!start.getContainerId().isEmpty()) {
            return "RunProcess of container " + start.getContainerId()
                    + (start.getExecId().isEmpty() ? "" : " exec " + start.getExecId());
        }
        return "RunProcess " + start.getArgsList();
    }

    public void mount(String source, String target, String fstype, List<String> options) throws AgentException {
        call("Mount " + source + " at " + target, () -> blocking().mount(MountRequest.newBuilder()
                .setSource(source).setTarget(target).setFstype(fstype).addAllOptions(options).build()));
    }

    public void createContainer(String containerId, byte[] ociSpecJson, String rootfsPath) throws AgentException {
        call("CreateContainer " + containerId, () -> blocking().createContainer(CreateContainerRequest.newBuilder()
                .setContainerId(containerId).setOciSpecJson(ByteString.copyFrom(ociSpecJson))
                .setRootfsPath(rootfsPath).build()));
    }

    public void signalProcess(String containerId, String execId, int signal, boolean all) throws AgentException {
        call("SignalProcess " + signal + " to container " + containerId + (execId.isEmpty() ? "" : " exec " + execId),
                () -> blocking().signalProcess(SignalProcessRequest.newBuilder().setContainerId(containerId)
                        .setExecId(execId).setSignal(signal).setAll(all).build()));
    }

    public List<Integer> listProcesses(String containerId) throws AgentException {
        return call("ListProcesses of container " + containerId, () -> blocking().listProcesses(
                ListProcessesRequest.newBuilder().setContainerId(containerId).build())).getPidsList();
    }

    public ContainerStatsResponse containerStats(String containerId) throws AgentException {
        return call("ContainerStats of container " + containerId, () -> blocking().containerStats(
                ContainerStatsRequest.newBuilder().setContainerId(containerId).build()));
    }

    public void updateContainer(String containerId, byte[] resourcesJson) throws AgentException {
        call("UpdateContainer " + containerId, () -> blocking().updateContainer(UpdateContainerRequest.newBuilder()
                .setContainerId(containerId).setResourcesJson(ByteString.copyFrom(resourcesJson)).build()));
    }

    public void pauseContainer(String containerId) throws AgentException {
        call("PauseContainer " + containerId, () -> blocking().pauseContainer(
                PauseContainerRequest.newBuilder().setContainerId(containerId).build()));
    }

    public void resumeContainer(String containerId) throws AgentException {
        call("ResumeContainer " + containerId, () -> blocking().resumeContainer(
                ResumeContainerRequest.newBuilder().setContainerId(containerId).build()));
    }

    public void removeContainer(String containerId) throws AgentException {
        call("RemoveContainer " + containerId, () -> blocking().removeContainer(
                RemoveContainerRequest.newBuilder().setContainerId(containerId).build()));
    }

    public void configureNetwork(ConfigureNetworkRequest request) throws AgentException {
        call("ConfigureNetwork", () -> blocking().configureNetwork(request));
    }

    /**
     * Starts a connection to a port on the guest's loopback (send the port first, in {@code call}'s
     * {@code beforeStart}); {@code call} hears {@code connected}, the port's data and eof, and how it ended.
     * The call has no deadline: a forwarded connection lasts as long as its two ends keep it.
     */
    public void portForward(ClientResponseObserver<PortForwardInput, PortForwardOutput> call) {
        async.portForward(call);
    }

    /** Delivers the agent's events (OOM kills) to {@code listener} until the channel closes. */
    public void watchEvents(StreamObserver<AgentEvent> listener) {
        async.watchEvents(WatchEventsRequest.getDefaultInstance(), listener);
    }

    private AgentGrpc.AgentBlockingStub blocking() {
        return blocking.withDeadlineAfter(callTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private <T> T call(String what, Supplier<T> rpc) throws AgentException {
        try {
            return rpc.get();
        } catch (RuntimeException e) {
            throw AgentException.of(vmName, what, e);
        }
    }

    /** Asks the agent to sync and power the guest off. */
    public void shutdown() throws AgentException {
        call("Shutdown", () -> blocking().shutdown(ShutdownRequest.getDefaultInstance()));
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
