package io.podvisor.shim.ttrpc;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

/** The one epoll event loop that ttrpc servers and clients of this process share; its thread is a daemon. */
final class EventLoops {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("ttrpc", true), EpollIoHandler.newFactory());

    private EventLoops() {
    }
}
