package io.podvisor.agent;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.podvisor.proto.agent.v1.AgentGrpc;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real agent listening on a unix socket, as the tests over a unix socket start it, and a channel to it. */
final class UnixSocketAgent implements AutoCloseable {

    private final Agent agent;
    private final EventLoopGroup clientGroup;
    private final ManagedChannel channel;

    private UnixSocketAgent(Agent agent, EventLoopGroup clientGroup, Path socket) {
        this.agent = agent;
        this.clientGroup = clientGroup;
        this.channel = connect(socket);
    }

    /** Starts the agent on {@code socket}, announcing no readiness, with {@code options} besides. */
    static UnixSocketAgent start(Path socket, String... options) throws IOException {
        List<String> args = new ArrayList<>(List.of("--listen", "unix:" + socket, "--ready", "none"));
        args.addAll(List.of(options));
        Agent agent = Agent.start(args.toArray(String[]::new));
        return new UnixSocketAgent(agent, new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()), socket);
    }

    Agent agent() {
        return agent;
    }

    AgentGrpc.AgentStub stub() {
        return AgentGrpc.newStub(channel);
    }

    AgentGrpc.AgentBlockingStub blocking() {
        return AgentGrpc.newBlockingStub(channel);
    }

    /** A channel of its own to whatever listens on {@code socket}; the caller shuts it down. */
    ManagedChannel connect(Path socket) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(clientGroup)
                .usePlaintext()
                .build();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        agent.stop();
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
