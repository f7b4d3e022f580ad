package io.podvisor.shim.ttrpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.rpc.Code;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A named ttrpc service: method name to a handler that takes the request bytes and returns a message. */
public final class TtrpcService {
    @FunctionalInterface
    public interface Handler<Q extends Message> {
        Message handle(Q request, CallContext context) throws TtrpcException;
    }

    /** A method bound to its request parser and handler. */
    public interface Method {
        Message invoke(byte[] payload, CallContext context) throws TtrpcException;
    }

    private final String name;
    private final Map<String, Method> methods;

    private TtrpcService(String name, Map<String, Method> methods) {
        this.name = name;
        this.methods = Map.copyOf(methods);
    }

    public static Builder named(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public Optional<Method> method(String methodName) {
        return Optional.ofNullable(methods.get(methodName));
    }

    public static final class Builder {
        private final String name;
        private final Map<String, Method> methods = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = name;
        }

        public <Q extends Message> Builder method(String methodName, Parser<Q> parser, Handler<Q> handler) {
            methods.put(methodName, (payload, context) -> {
                Q request;
                try {
                    request = parser.parseFrom(payload);
                } catch (InvalidProtocolBufferException e) {
                    throw new TtrpcException(Code.INVALID_ARGUMENT,
                            "cannot decode the request of " + name + "/" + methodName + ": " + e.getMessage());
                }
                return handler.handle(request, context);
            });
            return this;
        }

        public TtrpcService build() {
            return new TtrpcService(name, methods);
        }
    }
}
