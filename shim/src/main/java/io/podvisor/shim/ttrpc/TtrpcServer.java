package io.podvisor.shim.ttrpc;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * A ttrpc server on a unix socket. Only peers running as this process's user (or root) may connect,
 * as upstream shims require.
 */
public final class TtrpcServer implements AutoCloseable {
    private final Path socket;
    private final Channel serverChannel;
    private final ChannelGroup connections;
    private final AtomicBoolean everConnected;

    private TtrpcServer(Path socket, Channel serverChannel, ChannelGroup connections, AtomicBoolean everConnected) {
        this.socket = socket;
        this.serverChannel = serverChannel;
        this.connections = connections;
        this.everConnected = everConnected;
    }

    /**
     * Binds {@code socket} and serves {@code services} on it. Fails with
     * {@link FileAlreadyExistsException} when the socket file exists, live or stale.
     * {@code errorLog} receives handler failures that are not ttrpc statuses.
     */
    public static TtrpcServer bind(Path socket, List<TtrpcService> services, BiConsumer<String, Throwable> errorLog)
            throws IOException {
        Map<String, TtrpcService> byName = new LinkedHashMap<>();
        for (TtrpcService service : services) {
            byName.put(service.name(), service);
        }
        ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        AtomicBoolean everConnected = new AtomicBoolean();
        int ownUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(EventLoops.GROUP)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel ch) {
                        connections.add(ch);
                        everConnected.set(true);
                        ch.pipeline().addLast(new PeerCheck(ownUid, errorLog), new FrameDecoder(), FrameEncoder.INSTANCE,
                                new RequestDispatcher(byName, errorLog));
                    }
                });
        Files.createDirectories(socket.toAbsolutePath().getParent());
        // Bind a private name, then link it to the public one: link(2) fails when the name exists,
        // so of two processes racing for one address exactly one wins and nothing is replaced.
        Path bound = socket.resolveSibling(socket.getFileName() + "." + ProcessHandle.current().pid() + ".binding");
        Files.deleteIfExists(bound);
        Channel channel;
        try {
            channel = bootstrap.bind(new DomainSocketAddress(bound.toFile())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + socket, e);
        } catch (Exception e) {
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        }
        try {
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            Files.createLink(socket, bound);
        } catch (IOException e) {
            channel.close().syncUninterruptibly();
            throw e instanceof FileAlreadyExistsException
                    ? new FileAlreadyExistsException(socket.toString(), null, "ttrpc socket already exists")
                    : e;
        } finally {
            Files.deleteIfExists(bound);
        }
        return new TtrpcServer(socket, channel, connections, everConnected);
    }

    public Path socket() {
        return socket;
    }

    /** Whether anyone has connected since the server was bound. */
    public boolean everConnected() {
        return everConnected.get();
    }

    /** How many clients are connected now. */
    public int connections() {
        return connections.size();
    }

    /** Stops accepting, closes every connection and removes the socket file. */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        connections.close().syncUninterruptibly();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // The socket file is gone or its directory is; nothing else to do.
        }
    }

    private static final class PeerCheck extends ChannelInboundHandlerAdapter {
        private final int ownUid;
        private final BiConsumer<String, Throwable> errorLog;

        PeerCheck(int ownUid, BiConsumer<String, Throwable> errorLog) {
            this.ownUid = ownUid;
            this.errorLog = errorLog;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            PeerCredentials peer = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
            if (peer.uid() != ownUid && peer.uid() != 0) {
                errorLog.accept("refused ttrpc connection from uid " + peer.uid() + " (pid " + peer.pid() + ")", null);
                ctx.close();
                return;
            }
            ctx.pipeline().remove(this);
            super.channelActive(ctx);
        }
    }
}
