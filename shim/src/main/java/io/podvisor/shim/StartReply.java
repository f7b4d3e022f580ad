package io.podvisor.shim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What {@code start} prints: containerd's JSON bootstrap reply, {@code {"version":N,"address":"unix://...",
 * "protocol":"ttrpc"}}. containerd 1.7 accepts version 2 at most (and then calls
 * {@code containerd.task.v2.Task}); 2.0 to 2.3 accept 3 (and call {@code containerd.task.v3.Task}); 2.3+
 * read this JSON when the reply does not decode as their BootstrapResult protobuf, which JSON never does.
 */
final class StartReply {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StartReply() {
    }

    static String json(int version, String address) {
        ObjectNode reply = JSON.createObjectNode().put("version", version).put("address", address).put("protocol", "ttrpc");
        return reply.toString();
    }
}
