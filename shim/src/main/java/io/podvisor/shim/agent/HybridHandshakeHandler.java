package io.podvisor.shim.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.podvisor.hypervisor.vsock.muxer.ConnectLine;

/**
 * Performs the hybrid vsock CONNECT/OK exchange on a fresh channel before the rest of the
 * pipeline sees it active; see {@link HybridVsock#handshakeHandler(int)}.
 */
final class HybridHandshakeHandler extends ChannelDuplexHandler {
    private record PendingWrite(Object message, ChannelPromise promise) {
    }

    private final int port;
    private final Duration timeout;
    private final StringBuilder line = new StringBuilder();
    private final List<PendingWrite> pendingWrites = new ArrayList<>();
    private boolean started;
    private boolean finished;
    private IOException failure;
    private ScheduledFuture<?> timer;

    HybridHandshakeHandler(int port, Duration timeout) {
        this.port = port;
        this.timeout = timeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        ctx.writeAndFlush(Unpooled.copiedBuffer(ConnectLine.connect(port), StandardCharsets.US_ASCII))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        fail(ctx, "cannot send CONNECT " + port + ": " + f.cause());
                    }
                });
        timer = ctx.executor().schedule(
                () -> fail(ctx, "no answer to CONNECT " + port + " within " + timeout.toMillis() + " ms"),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (failure != null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (finished) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        while (in.isReadable()) {
            char c = (char) (in.readByte() & 0xff);
            if (c == '\n') {
                answered(ctx, in);
                return;
            }
            if (line.length() >= ConnectLine.MAX_LENGTH) {
                in.release();
                fail(ctx, "answer to CONNECT " + port + " is longer than " + ConnectLine.MAX_LENGTH + " bytes: \""
                        + ConnectLine.printable(line.toString()) + "\"");
                return;
            }
            line.append(c);
        }
        in.release();
        if (!ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }

    private void answered(ChannelHandlerContext ctx, ByteBuf rest) {
        try {
            ConnectLine.parseOk(line.toString());
        } catch (IllegalArgumentException e) {
            rest.release();
            fail(ctx, "answer to CONNECT " + port + " is \"" + ConnectLine.printable(line.toString())
                    + "\", not OK <port>");
            return;
        }
        finished = true;
        timer.cancel(false);
        for (PendingWrite w : pendingWrites) {
            ctx.write(w.message(), w.promise());
        }
        if (!pendingWrites.isEmpty()) {
            ctx.flush();
        }
        pendingWrites.clear();
        ctx.fireChannelActive();
        if (rest.isReadable()) {
            ctx.fireChannelRead(rest);
            ctx.fireChannelReadComplete();
        } else {
            rest.release();
        }
        ctx.pipeline().remove(this);
    }

    private void fail(ChannelHandlerContext ctx, String message) {
        if (finished) {
            return;
        }
        finished = true;
        if (timer != null) {
            timer.cancel(false);
        }
        IOException error = new IOException("hybrid vsock " + ctx.channel().remoteAddress() + ": " + message);
        failure = error;
        for (PendingWrite w : pendingWrites) {
            ReferenceCountUtil.release(w.message());
            w.promise().tryFailure(error);
        }
        pendingWrites.clear();
        ctx.fireExceptionCaught(error);
        ctx.close();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (failure != null) {
            ReferenceCountUtil.release(msg);
            promise.tryFailure(failure);
        } else if (finished) {
            ctx.write(msg, promise);
        } else {
            pendingWrites.add(new PendingWrite(msg, promise));
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (finished) {
            ctx.flush();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!finished) {
            fail(ctx, "the connection closed before OK: is anything listening on vsock port " + port
                    + " in the guest?");
        }
        ctx.fireChannelInactive();
    }
}
