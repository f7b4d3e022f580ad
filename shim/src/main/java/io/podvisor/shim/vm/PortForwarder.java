package io.podvisor.shim.vm;

import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.net.LoopbackSockets;
import io.podvisor.hypervisor.net.PodNetwork;
import io.podvisor.proto.agent.v1.PortForwardInput;
import io.podvisor.proto.agent.v1.PortForwardOutput;
import io.podvisor.shim.agent.AgentClient;
import java.net.InetSocketAddress;

/**
 * {@code kubectl port-forward} into a pod VM. containerd (1.7 and 2.x) forwards a port as it does for runc:
 * it dials localhost:PORT inside the pod's network namespace on the host. In a podvisor pod nothing listens
 * there (the pod's localhost is the guest's), and the port is not known in advance. So the shim listens on
 * one port of that namespace's loopback, a netfilter redirect there ({@link PodNetwork#redirectLoopbackTcp})
 * sends it every loopback TCP connection whatever its port, and each connection goes, through the agent's
 * PortForward call, to the port it was made to (its original destination) on the guest's loopback.
 * The other ways were heavier: a listener per port cannot know the ports; an eBPF sk_lookup program would
 * need hand-assembled BPF; iptables is on every Kubernetes node.
 */
final class PortForwarder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PortForwarder.class.getName());
    private static final EventLoopGroup LOOP = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("port-forward", true), EpollIoHandler.newFactory());

    private final Channel server;

    private PortForwarder(Channel server) {
        this.server = server;
    }

    /** Listens in the pod's network namespace and redirects its loopback TCP there. */
    static PortForwarder start(String podId, PodNetwork network, AgentClient agent) throws VmmException {
        int fd = LoopbackSockets.tcpSocketIn(network.netns(), podId);
        Channel server;
        try {
            server = new ServerBootstrap().group(LOOP)
                    .channelFactory(() -> new EpollServerSocketChannel(fd))
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                        @Override
                        protected void initChannel(EpollSocketChannel ch) {
                            ch.pipeline().addLast(new Connection(podId, agent));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("pod " + podId + ": interrupted while starting port forwarding", e);
        } catch (RuntimeException e) {
            throw new VmmException("pod " + podId + ": cannot listen for port forwarding in " + network.netns() + ": "
                    + e.getMessage(), e);
        }
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try {
            network.redirectLoopbackTcp(port);
        } catch (VmmException e) {
            server.close();
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "pod {0}: port forwarding: loopback TCP of {1} goes to 127.0.0.1:{2,number,#}"
                + " and on to the guest", podId, network.netns(), port);
        return new PortForwarder(server);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
    }

    /** One connection containerd made, bridged to one PortForward call to the agent. */
    private static final class Connection extends ChannelInboundHandlerAdapter
            implements ClientResponseObserver<PortForwardInput, PortForwardOutput> {
        private final String podId;
        private final AgentClient agent;
        private Channel channel;
        private ClientCallStreamObserver<PortForwardInput> requests;
        private int port;
        private volatile boolean connected;

        Connection(String podId, AgentClient agent) {
            this.podId = podId;
            this.agent = agent;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            try {
                port = LoopbackSockets.originalDestinationPort(((EpollSocketChannel) channel).fd().intValue());
            } catch (VmmException e) {
                LOG.log(System.Logger.Level.WARNING, "pod {0}: port forwarding: {1}", podId, e.getMessage());
                channel.close();
                return;
            }
            agent.portForward(this);
            requests.onNext(PortForwardInput.newBuilder().setPort(port).build());
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<PortForwardInput> call) {
            requests = call;
            call.disableAutoRequestWithInitial(1);
            call.setOnReadyHandler(() -> {
                if (connected && call.isReady()) {
                    channel.config().setAutoRead(true);
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            try {
                requests.onNext(PortForwardInput.newBuilder().setData(ByteString.copyFrom(data.nioBuffer())).build());
            } finally {
                data.release();
            }
            if (!requests.isReady()) {
                channel.config().setAutoRead(false);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent && requests != null) {
                requests.onNext(PortForwardInput.newBuilder().setEof(true).build());
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (requests != null) {
                requests.cancel("the forwarded connection closed", null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(System.Logger.Level.DEBUG, "pod {0}: port {1,number,#}: {2}", podId, port, cause.toString());
            ctx.close();
        }

        @Override
        public void onNext(PortForwardOutput output) {
            switch (output.getOutputCase()) {
                case CONNECTED -> {
                    connected = true;
                    channel.config().setAutoRead(true);
                    requests.request(1);
                }
                case DATA -> channel.writeAndFlush(Unpooled.wrappedBuffer(output.getData().asReadOnlyByteBuffer()))
                        .addListener((ChannelFutureListener) written -> {
                            if (written.isSuccess()) {
                                requests.request(1);
                            } else {
                                written.channel().close();
                            }
                        });
                case EOF -> channel.eventLoop().execute(() -> {
                    ((EpollSocketChannel) channel).shutdownOutput();
                    requests.request(1);
                });
                case OUTPUT_NOT_SET -> requests.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            LOG.log(System.Logger.Level.INFO, "pod {0}: port forwarding to port {1,number,#} in the guest ended: {2}",
                    podId, port, t.getMessage());
            channel.close();
        }

        @Override
        public void onCompleted() {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
