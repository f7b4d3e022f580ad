package io.podvisor.shim.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Empty;
import io.podvisor.proto.containerd.events.TaskExit;
import io.podvisor.proto.containerd.events.TaskStart;
import io.podvisor.proto.containerd.services.events.ttrpc.v1.Envelope;
import io.podvisor.proto.containerd.services.events.ttrpc.v1.ForwardRequest;
import io.podvisor.shim.ttrpc.CallContext;
import io.podvisor.shim.ttrpc.TtrpcClient;
import io.podvisor.shim.ttrpc.TtrpcServer;
import io.podvisor.shim.ttrpc.TtrpcService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForwardingEventPublisherTest {
    @TempDir
    Path dir;

    private final List<Envelope> received = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();

    /** containerd's side: the ttrpc Events service recording what it is forwarded. */
    private TtrpcServer containerd(Path socket) throws Exception {
        return TtrpcServer.bind(socket, List.of(TtrpcService.named(ForwardingEventPublisher.SERVICE)
                .method("Forward", ForwardRequest.parser(), (request, context) -> {
                    synchronized (received) {
                        received.add(request.getEnvelope());
                        namespaces.add(context.firstMetadata(CallContext.NAMESPACE_KEY).orElse(""));
                    }
                    return Empty.getDefaultInstance();
                }).build()), (m, e) -> { });
    }

    @Test
    void eventsArriveInOrderAsContainerdTypesTheirAny() throws Exception {
        Path socket = dir.resolve("containerd.sock.ttrpc");
        try (TtrpcServer server = containerd(socket)) {
            ForwardingEventPublisher publisher = new ForwardingEventPublisher("k8s.io", TtrpcClient.forSocket(socket));
            for (int i = 1; i <= 20; i++) {
                publisher.publish("/tasks/start", TaskStart.newBuilder().setContainerId("c").setPid(i).build());
            }
            publisher.publish("/tasks/exit", TaskExit.newBuilder().setContainerId("c").setExitStatus(3).build());
            publisher.close(Duration.ofSeconds(10));
        }
        assertEquals(21, received.size());
        for (int i = 0; i < 20; i++) {
            Envelope envelope = received.get(i);
            assertEquals("/tasks/start", envelope.getTopic());
            assertEquals("k8s.io", envelope.getNamespace());
            assertEquals("containerd.events.TaskStart", envelope.getEvent().getTypeUrl());
            assertEquals(i + 1, TaskStart.parseFrom(envelope.getEvent().getValue()).getPid());
        }
        assertEquals(3, TaskExit.parseFrom(received.get(20).getEvent().getValue()).getExitStatus());
        assertEquals(List.of("k8s.io"), namespaces.stream().distinct().toList());
    }

    @Test
    void eventPublishedWhileContainerdIsDownIsDeliveredAfterItReturns() throws Exception {
        Path socket = dir.resolve("containerd.sock.ttrpc");
        ForwardingEventPublisher publisher = new ForwardingEventPublisher("default", TtrpcClient.forSocket(socket));
        publisher.publish("/tasks/exit", TaskExit.newBuilder().setContainerId("late").build());
        // The first attempts fail (no socket); containerd comes back within the retry window.
        try (TtrpcServer server = containerd(socket)) {
            publisher.close(Duration.ofSeconds(10));
        }
        assertEquals(1, received.size());
        assertEquals("/tasks/exit", received.getFirst().getTopic());
    }

    @Test
    void anEventOutlivesAContainerdRestartOfSomeSeconds() throws Exception {
        Path socket = dir.resolve("containerd.sock.ttrpc");
        ForwardingEventPublisher publisher = new ForwardingEventPublisher("k8s.io", TtrpcClient.forSocket(socket));
        publisher.publish("/tasks/exit", TaskExit.newBuilder().setContainerId("during-restart").build());
        Thread.sleep(5000); // containerd is down this long
        try (TtrpcServer server = containerd(socket)) {
            publisher.close(Duration.ofSeconds(10));
        }
        assertEquals(1, received.size(), "the exit published while containerd restarted");
        assertEquals("during-restart", TaskExit.parseFrom(received.getFirst().getEvent().getValue()).getContainerId());
    }
}
