package io.podvisor.shim.task;

import com.google.protobuf.Message;
import io.podvisor.shim.events.EventPublisher;
import java.util.ArrayList;
import java.util.List;

final class RecordingPublisher implements EventPublisher {
    record Event(String topic, Message message) {
    }

    private final List<Event> events = new ArrayList<>();

    @Override
    public synchronized void publish(String topic, Message event) {
        events.add(new Event(topic, event));
        notifyAll();
    }

    synchronized List<String> topics() {
        return events.stream().map(Event::topic).toList();
    }

    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() {
    }
}
