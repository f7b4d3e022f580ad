package io.podvisor.shim.ttrpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.podvisor.proto.ttrpc.KeyValue;
import io.podvisor.proto.ttrpc.Request;
import io.podvisor.proto.ttrpc.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Serves the requests of one connection: each request runs on its own virtual thread, so streams
 * are concurrent; a request's timeout answers DEADLINE_EXCEEDED and interrupts its handler.
 */
final class RequestDispatcher extends SimpleChannelInboundHandler<Object> {
    private final Map<String, TtrpcService> services;
    private final BiConsumer<String, Throwable> errorLog;

    RequestDispatcher(Map<String, TtrpcService> services, BiConsumer<String, Throwable> errorLog) {
        this.services = services;
        this.errorLog = errorLog;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        switch (msg) {
            case OversizedFrame oversized -> {
                if (oversized.type() == Frame.TYPE_REQUEST) {
                    new Call(ctx.channel(), oversized.streamId()).answer(error(Code.RESOURCE_EXHAUSTED,
                            "message length " + oversized.length() + " exceeds maximum message size of " + Frame.MAX_PAYLOAD));
                }
            }
            case Frame frame when frame.type() == Frame.TYPE_REQUEST -> onRequest(ctx.channel(), frame);
            default -> {
                // Responses and data frames are not for a unary server; ignored as upstream does.
            }
        }
    }

    private void onRequest(Channel channel, Frame frame) {
        Call call = new Call(channel, frame.streamId());
        Request request;
        try {
            request = Request.parseFrom(frame.payload());
        } catch (InvalidProtocolBufferException e) {
            call.answer(error(Code.INVALID_ARGUMENT, "cannot decode ttrpc request: " + e.getMessage()));
            return;
        }
        if ((frame.streamId() & 1) == 0) {
            call.answer(error(Code.INVALID_ARGUMENT, "stream id must be odd for client initiated streams"));
            return;
        }
        TtrpcService service = services.get(request.getService());
        if (service == null) {
            call.answer(error(Code.UNIMPLEMENTED, "service " + request.getService()));
            return;
        }
        Optional<TtrpcService.Method> method = service.method(request.getMethod());
        if (method.isEmpty()) {
            call.answer(error(Code.UNIMPLEMENTED, "method " + request.getService() + "/" + request.getMethod()));
            return;
        }
        long timeoutNanos = request.getTimeoutNano();
        Optional<Instant> deadline = timeoutNanos > 0 ? Optional.of(Instant.now().plusNanos(timeoutNanos)) : Optional.empty();
        CallContext context = new CallContext(request.getService(), request.getMethod(), metadata(request.getMetadataList()), deadline);
        Thread handler = Thread.ofVirtual().name("ttrpc " + request.getService() + "/" + request.getMethod()).unstarted(
                () -> call.answer(invoke(method.get(), request, context)));
        if (timeoutNanos > 0) {
            call.deadlineTimer = channel.eventLoop().schedule(() -> {
                if (call.answer(error(Code.DEADLINE_EXCEEDED, request.getService() + "/" + request.getMethod()
                        + " did not finish within its timeout of " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"))) {
                    handler.interrupt();
                }
            }, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        handler.start();
    }

    private Response invoke(TtrpcService.Method method, Request request, CallContext context) {
        try {
            Message result = method.invoke(request.getPayload().toByteArray(), context);
            return Response.newBuilder().setStatus(Status.getDefaultInstance()).setPayload(result.toByteString()).build();
        } catch (TtrpcException e) {
            return Response.newBuilder().setStatus(e.toStatus()).build();
        } catch (RuntimeException | Error e) {
            errorLog.accept(context.service() + "/" + context.method() + " failed", e);
            return error(Code.UNKNOWN, context.method() + " failed: " + e);
        }
    }

    private static Map<String, List<String>> metadata(List<KeyValue> pairs) {
        Map<String, List<String>> metadata = new LinkedHashMap<>();
        for (KeyValue pair : pairs) {
            metadata.computeIfAbsent(pair.getKey(), k -> new ArrayList<>()).add(pair.getValue());
        }
        return metadata;
    }

    private static Response error(Code code, String message) {
        return Response.newBuilder().setStatus(Status.newBuilder().setCode(code.getNumber()).setMessage(message)).build();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        errorLog.accept("ttrpc connection failed; closing it", cause);
        ctx.close();
    }

    /** One stream: answered exactly once, by its handler or by its deadline. */
    private static final class Call {
        private final Channel channel;
        private final int streamId;
        private final AtomicBoolean answered = new AtomicBoolean();
        private volatile ScheduledFuture<?> deadlineTimer;

        Call(Channel channel, int streamId) {
            this.channel = channel;
            this.streamId = streamId;
        }

        boolean answer(Response response) {
            if (!answered.compareAndSet(false, true)) {
                return false;
            }
            ScheduledFuture<?> timer = deadlineTimer;
            if (timer != null) {
                timer.cancel(false);
            }
            byte[] payload = response.toByteArray();
            if (payload.length > Frame.MAX_PAYLOAD) {
                payload = error(Code.RESOURCE_EXHAUSTED, "response of " + payload.length
                        + " bytes exceeds maximum message size of " + Frame.MAX_PAYLOAD).toByteArray();
            }
            channel.writeAndFlush(Frame.response(streamId, payload));
            return true;
        }
    }
}
