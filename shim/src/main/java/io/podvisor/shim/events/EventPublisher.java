package io.podvisor.shim.events;

import com.google.protobuf.Message;

/** Where task events go. Events are delivered in the order they were published. */
public interface EventPublisher extends AutoCloseable {
    void publish(String topic, Message event);

    /** Delivers what is queued (bounded wait), then stops. */
    @Override
    void close();
}
