package io.podvisor.shim.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.rpc.Code;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.podvisor.proto.ttrpc.KeyValue;
import io.podvisor.proto.ttrpc.Request;
import io.podvisor.proto.ttrpc.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A ttrpc client on a unix socket. It connects on first use and again on the next call after the
 * connection dropped; calls in flight when it drops fail with UNAVAILABLE.
 */
public final class TtrpcClient implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final Path socket;
    private Connection connection;
    private boolean closed;

    private TtrpcClient(Path socket) {
        this.socket = socket;
    }

    /** A client for {@code socket}; nothing is dialled until the first call. */
    public static TtrpcClient forSocket(Path socket) {
        return new TtrpcClient(socket);
    }

    public Path socket() {
        return socket;
    }

    public <R extends Message> R call(String service, String method, Message request, Parser<R> responseParser,
            Duration timeout) throws TtrpcException {
        return call(service, method, request, responseParser, timeout, Map.of());
    }

    /** Calls {@code service/method} and waits at most {@code timeout} (sent to the server as timeout_nano). */
    public <R extends Message> R call(String service, String method, Message request, Parser<R> responseParser,
            Duration timeout, Map<String, String> metadata) throws TtrpcException {
        Response response;
        try {
            response = send(service, method, request.toByteString(), timeout, metadata).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TtrpcException(Code.CANCELLED, service + "/" + method + " interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TtrpcException t) {
                throw t;
            }
            throw new TtrpcException(Code.UNKNOWN, service + "/" + method + " failed: " + e.getCause(), e.getCause());
        }
        if (response.hasStatus() && response.getStatus().getCode() != Code.OK_VALUE) {
            throw TtrpcException.fromStatus(response.getStatus());
        }
        try {
            return responseParser.parseFrom(response.getPayload());
        } catch (InvalidProtocolBufferException e) {
            throw new TtrpcException(Code.INTERNAL, "cannot decode the response of " + service + "/" + method + ": " + e.getMessage());
        }
    }

    /** Sends one request; the future completes with the raw response, or fails with a {@link TtrpcException}. */
    public CompletableFuture<Response> send(String service, String method, ByteString payload, Duration timeout,
            Map<String, String> metadata) {
        Request.Builder request = Request.newBuilder().setService(service).setMethod(method).setPayload(payload)
                .setTimeoutNano(timeout.toNanos());
        metadata.forEach((key, value) -> request.addMetadata(KeyValue.newBuilder().setKey(key).setValue(value)));
        Connection conn;
        try {
            conn = connection();
        } catch (TtrpcException e) {
            return CompletableFuture.failedFuture(e);
        }
        return conn.send(request.build().toByteArray(), timeout, service + "/" + method);
    }

    private synchronized Connection connection() throws TtrpcException {
        if (closed) {
            throw new TtrpcException(Code.UNAVAILABLE, "ttrpc client for " + socket + " is closed");
        }
        if (connection == null || !connection.channel.isActive()) {
            connection = Connection.open(socket);
        }
        return connection;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (connection != null) {
            connection.channel.close().syncUninterruptibly();
        }
    }

    private static final class Connection extends SimpleChannelInboundHandler<Object> {
        private final Path socket;
        private final Map<Integer, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
        private int nextStreamId = 1;
        private Channel channel;

        private Connection(Path socket) {
            this.socket = socket;
        }

        static Connection open(Path socket) throws TtrpcException {
            Connection connection = new Connection(socket);
            Bootstrap bootstrap = new Bootstrap()
                    .group(EventLoops.GROUP)
                    .channel(EpollDomainSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                    .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast(new FrameDecoder(), FrameEncoder.INSTANCE, connection);
                        }
                    });
            try {
                connection.channel = bootstrap.connect(new DomainSocketAddress(socket.toFile())).sync().channel();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TtrpcException(Code.CANCELLED, "interrupted while connecting to " + socket);
            } catch (Exception e) {
                throw new TtrpcException(Code.UNAVAILABLE, "cannot connect to ttrpc socket " + socket + ": " + e.getMessage(), e);
            }
            return connection;
        }

        CompletableFuture<Response> send(byte[] request, Duration timeout, String what) {
            CompletableFuture<Response> result = new CompletableFuture<>();
            int streamId;
            synchronized (this) {
                streamId = nextStreamId;
                nextStreamId += 2;
                pending.put(streamId, result);
            }
            if (!timeout.isZero() && !timeout.isNegative()) {
                var timer = channel.eventLoop().schedule(() -> {
                    if (pending.remove(streamId) != null) {
                        result.completeExceptionally(new TtrpcException(Code.DEADLINE_EXCEEDED,
                                what + " got no answer within " + timeout.toMillis() + " ms from " + socket));
                    }
                }, timeout.toNanos(), TimeUnit.NANOSECONDS);
                result.whenComplete((r, e) -> timer.cancel(false));
            }
            channel.writeAndFlush(Frame.request(streamId, request)).addListener(f -> {
                if (!f.isSuccess() && pending.remove(streamId) != null) {
                    result.completeExceptionally(new TtrpcException(Code.UNAVAILABLE,
                            "cannot send " + what + " to " + socket + ": " + f.cause(), f.cause()));
                }
            });
            return result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof OversizedFrame oversized) {
                CompletableFuture<Response> call = pending.remove(oversized.streamId());
                if (call != null) {
                    call.completeExceptionally(new TtrpcException(Code.RESOURCE_EXHAUSTED, "response of "
                            + oversized.length() + " bytes exceeds maximum message size of " + Frame.MAX_PAYLOAD));
                }
                return;
            }
            Frame frame = (Frame) msg;
            if (frame.type() != Frame.TYPE_RESPONSE) {
                return;
            }
            CompletableFuture<Response> call = pending.remove(frame.streamId());
            if (call == null) {
                return;
            }
            try {
                call.complete(Response.parseFrom(frame.payload()));
            } catch (InvalidProtocolBufferException e) {
                call.completeExceptionally(new TtrpcException(Code.INTERNAL, "cannot decode ttrpc response: " + e.getMessage()));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            TtrpcException closed = new TtrpcException(Code.UNAVAILABLE, "ttrpc connection to " + socket + " closed");
            pending.values().forEach(call -> call.completeExceptionally(closed));
            pending.clear();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
