package io.podvisor.agent.vsock;

import io.netty.channel.Channel;
import io.netty.channel.epoll.AbstractEpollServerChannel;
import io.netty.channel.epoll.EpollChannelConfig;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.epoll.VSockAddress;
import java.net.SocketAddress;

/**
 * A Netty epoll server channel listening on AF_VSOCK. Netty only offers vsock at the socket level
 * ({@link LinuxSocket#newVSockStream()}, {@link LinuxSocket#bindVSock}); this class is the channel around it.
 * Bind it to a {@link VSockAddress}; accepted connections are {@link VsockChannel}s.
 */
public final class VsockServerChannel extends AbstractEpollServerChannel {

    private final VsockChannelConfig config = new VsockChannelConfig(this);
    private volatile VSockAddress local;

    public VsockServerChannel() {
        super(LinuxSocket.newVSockStream(), false);
    }

    @Override
    public EpollChannelConfig config() {
        return config;
    }

    @Override
    protected void doBind(SocketAddress address) throws Exception {
        if (!(address instanceof VSockAddress vsock)) {
            throw new IllegalArgumentException("a vsock channel binds a VSockAddress, not " + address);
        }
        socket.bindVSock(vsock);
        socket.listen(config.backlog());
        local = socket.localVSockAddress();
        active = true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected Channel newChildChannel(int fd, byte[] remote, int offset, int len) {
        return new VsockChannel(this, LinuxSocket.newSocket(fd));
    }
}
