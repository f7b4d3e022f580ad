package io.podvisor.shim.events;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.podvisor.proto.containerd.services.events.ttrpc.v1.Envelope;
import io.podvisor.proto.containerd.services.events.ttrpc.v1.ForwardRequest;
import io.podvisor.shim.ShimLog;
import io.podvisor.shim.ttrpc.CallContext;
import io.podvisor.shim.ttrpc.TtrpcClient;
import io.podvisor.shim.ttrpc.TtrpcException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Forwards events to containerd's ttrpc events service ({@code TTRPC_ADDRESS},
 * {@code containerd.services.events.ttrpc.v1.Events/Forward}), one at a time in publish order.
 * A failed forward is retried on a fresh connection, backing off up to 2 s between attempts, for about 20 s
 * (as long as containerd's own shims retry: a containerd restart) before the event is dropped and logged.
 */
public final class ForwardingEventPublisher implements EventPublisher {
    public static final String SERVICE = "containerd.services.events.ttrpc.v1.Events";
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    private static final int ATTEMPTS = 14;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    private static final ShimLog LOG = ShimLog.forId("events");

    private record Queued(Envelope envelope) {
    }

    private static final Queued END = new Queued(null);

    private final String namespace;
    private final TtrpcClient client;
    private final LinkedBlockingQueue<Queued> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final Thread worker;
    private volatile boolean closed;

    public ForwardingEventPublisher(String namespace, TtrpcClient client) {
        this.namespace = namespace;
        this.client = client;
        this.worker = Thread.ofPlatform().daemon().name("event-forwarder").start(this::run);
    }

    /** Packs an event as containerd does: the type URL is the message's full name, no prefix. */
    public static Any pack(Message event) {
        return Any.newBuilder().setTypeUrl(event.getDescriptorForType().getFullName()).setValue(event.toByteString()).build();
    }

    @Override
    public void publish(String topic, Message event) {
        if (closed) {
            LOG.warn("event " + topic + " published after shutdown; dropped");
            return;
        }
        Instant now = Instant.now();
        queue.add(new Queued(Envelope.newBuilder()
                .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .setNamespace(namespace)
                .setTopic(topic)
                .setEvent(pack(event))
                .build()));
    }

    private void run() {
        while (true) {
            Queued next;
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (next == END) {
                return;
            }
            forward(next.envelope());
        }
    }

    private void forward(Envelope envelope) {
        ForwardRequest request = ForwardRequest.newBuilder().setEnvelope(envelope).build();
        Duration backoff = Duration.ofMillis(100);
        for (int attempt = 1; ; attempt++) {
            try {
                client.call(SERVICE, "Forward", request, Empty.parser(), CALL_TIMEOUT,
                        Map.of(CallContext.NAMESPACE_KEY, namespace));
                return;
            } catch (TtrpcException e) {
                if (attempt == ATTEMPTS) {
                    LOG.error("cannot forward event " + envelope.getTopic() + " to containerd at " + client.socket()
                            + " after " + ATTEMPTS + " attempts; dropped", e);
                    return;
                }
                LOG.warn("forwarding event " + envelope.getTopic() + " failed (attempt " + attempt + "); retrying", e);
            }
            try {
                // Back off before the next attempt, but not past close(): the remaining events still get their tries.
                if (stopping.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    backoff = Duration.ofMillis(10);
                } else {
                    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) < 0 ? backoff.multipliedBy(2) : MAX_BACKOFF;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Waits up to {@code limit} for queued events to be forwarded, then stops. */
    public void close(Duration limit) {
        closed = true;
        stopping.countDown();
        queue.add(END);
        try {
            if (!worker.join(limit)) {
                LOG.warn(queue.size() + " events not forwarded within " + limit.toSeconds() + " s of shutdown");
                worker.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
