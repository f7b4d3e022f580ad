package io.podvisor.agent;

import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.VSockAddress;
import io.netty.channel.unix.DomainSocketAddress;
import io.podvisor.agent.vsock.VsockChannel;
import io.podvisor.agent.vsock.VsockServerChannel;
import java.net.SocketAddress;
import java.nio.file.Path;

/** A socket address the agent listens on or announces readiness to: {@code vsock:[CID:]PORT} or {@code unix:PATH}. */
sealed interface Endpoint {

    SocketAddress address();

    ServerChannel newServerChannel();

    Channel newClientChannel();

    record Vsock(int cid, int port) implements Endpoint {
        @Override
        public SocketAddress address() {
            return new VSockAddress(cid, port);
        }

        @Override
        public ServerChannel newServerChannel() {
            return new VsockServerChannel();
        }

        @Override
        public Channel newClientChannel() {
            return new VsockChannel();
        }

        @Override
        public String toString() {
            return "vsock:" + (cid == VSockAddress.VMADDR_CID_ANY ? "" : cid + ":") + port;
        }
    }

    record Unix(Path path) implements Endpoint {
        @Override
        public SocketAddress address() {
            return new DomainSocketAddress(path.toString());
        }

        @Override
        public ServerChannel newServerChannel() {
            return new EpollServerDomainSocketChannel();
        }

        @Override
        public Channel newClientChannel() {
            return new EpollDomainSocketChannel();
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    static Endpoint parse(String text) {
        if (text.startsWith("unix:") && text.length() > 5) {
            return new Unix(Path.of(text.substring(5)));
        }
        if (text.startsWith("vsock:")) {
            String[] parts = text.substring(6).split(":");
            try {
                if (parts.length == 1) {
                    return new Vsock(VSockAddress.VMADDR_CID_ANY, Integer.parseInt(parts[0]));
                }
                if (parts.length == 2) {
                    return new Vsock(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
                }
            } catch (NumberFormatException e) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException("not an endpoint: " + text + " (expected vsock:[CID:]PORT or unix:PATH)");
    }
}
