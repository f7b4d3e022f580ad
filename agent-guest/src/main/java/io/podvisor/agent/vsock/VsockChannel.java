package io.podvisor.agent.vsock;

import io.netty.channel.Channel;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollChannelConfig;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.epoll.Native;
import io.netty.channel.epoll.VSockAddress;
import java.net.SocketAddress;

/** A connected AF_VSOCK stream: accepted by {@link VsockServerChannel}, or connected to a {@link VSockAddress}. */
public final class VsockChannel extends AbstractEpollStreamChannel {

    private final VsockChannelConfig config = new VsockChannelConfig(this);
    private volatile VSockAddress remote;

    /** An unconnected channel, for a client {@code Bootstrap}. */
    public VsockChannel() {
        super(LinuxSocket.newVSockStream(), false);
    }

    VsockChannel(Channel parent, LinuxSocket accepted) {
        super(parent, accepted, null);
        remote = accepted.remoteVSockAddress();
    }

    @Override
    public EpollChannelConfig config() {
        return config;
    }

    @Override
    protected boolean doConnect(SocketAddress address, SocketAddress localAddress) throws Exception {
        if (!(address instanceof VSockAddress vsock)) {
            throw new IllegalArgumentException("a vsock channel connects to a VSockAddress, not " + address);
        }
        remote = vsock;
        boolean connected = socket.connectVSock(vsock);
        if (!connected) {
            setFlag(Native.EPOLLOUT);
        }
        return connected;
    }

    @Override
    protected SocketAddress localAddress0() {
        return socket.localVSockAddress();
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }
}
