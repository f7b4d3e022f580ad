package io.podvisor.it.cri;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.podvisor.proto.cri.v1.ImageServiceGrpc;
import io.podvisor.proto.cri.v1.RuntimeServiceGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The CRI as kubelet and crictl call it: gRPC {@code runtime.v1} over containerd's unix socket.
 * Every call carries a deadline, so a hung runtime fails the test instead of stalling it.
 */
public final class CriClient implements AutoCloseable {
    private static final EventLoopGroup EVENT_LOOP = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("cri-client", true), EpollIoHandler.newFactory());

    private final ManagedChannel channel;
    private final Duration deadline;

    private CriClient(ManagedChannel channel, Duration deadline) {
        this.channel = channel;
        this.deadline = deadline;
    }

    /** Connects to containerd's gRPC socket; {@code deadline} bounds each call. */
    public static CriClient connect(Path containerdSocket, Duration deadline) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(containerdSocket.toString()))
                .eventLoopGroup(EVENT_LOOP)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .build();
        return new CriClient(channel, deadline);
    }

    public RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime() {
        return RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    public ImageServiceGrpc.ImageServiceBlockingStub images() {
        return ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(10, TimeUnit.SECONDS);
    }
}
