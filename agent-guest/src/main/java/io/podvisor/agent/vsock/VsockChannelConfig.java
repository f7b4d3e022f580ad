package io.podvisor.agent.vsock;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelConfig;

/** Options of a vsock channel: the generic epoll ones, plus the listen backlog and keep-alive that gRPC sets. */
final class VsockChannelConfig extends EpollChannelConfig {

    private volatile int backlog = 128;

    VsockChannelConfig(Channel channel) {
        super(channel);
    }

    int backlog() {
        return backlog;
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        if (option == ChannelOption.SO_BACKLOG) {
            backlog = (Integer) value;
            return true;
        }
        if (option == ChannelOption.SO_KEEPALIVE) {
            // vsock connections have no keep-alive probes; the peer is the VMM on the same host.
            return true;
        }
        return super.setOption(option, value);
    }
}
