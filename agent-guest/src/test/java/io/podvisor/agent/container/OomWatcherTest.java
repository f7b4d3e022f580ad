package io.podvisor.agent.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.grpc.stub.ServerCallStreamObserver;
import io.podvisor.proto.agent.v1.AgentEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real inotify on a memory.events file the test writes as the kernel would. */
class OomWatcherTest {

    @TempDir
    Path dir;

    @Test
    void growingOomKillCountIsReportedOncePerIncrease() throws Exception {
        Path events = dir.resolve("memory.events");
        Files.writeString(events, "oom 1\noom_kill 1\n");
        Subscriber subscriber = new Subscriber();
        OomWatcher watcher = new OomWatcher();
        watcher.subscribe(subscriber);
        watcher.watch("c1", events);

        Files.writeString(events, "oom 1\noom_kill 1\nmax 3\n");
        Files.writeString(events, "oom 2\noom_kill 2\n");

        assertEquals("c1", subscriber.events.poll(5, TimeUnit.SECONDS).getOomContainerId());
        Files.writeString(events, "oom 2\noom_kill 2\nmax 4\n");
        Files.writeString(events, "oom 3\noom_kill 3\n");
        assertEquals("c1", subscriber.events.poll(5, TimeUnit.SECONDS).getOomContainerId());
        watcher.unwatch("c1");
        Files.writeString(events, "oom 4\noom_kill 4\n");
        assertNull(subscriber.events.poll(300, TimeUnit.MILLISECONDS), "no events after unwatch");
    }

    @Test
    void cgroupWithoutMemoryControllerIsSkipped() {
        OomWatcher watcher = new OomWatcher();
        watcher.watch("c2", dir.resolve("no-memory-controller/memory.events"));
        watcher.unwatch("c2");
    }

    /** A WatchEvents stream as the server side sees it. */
    private static final class Subscriber extends ServerCallStreamObserver<AgentEvent> {
        final BlockingQueue<AgentEvent> events = new LinkedBlockingQueue<>();

        @Override
        public void onNext(AgentEvent event) {
            events.add(event);
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable handler) {}

        @Override
        public void setCompression(String compression) {}

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnReadyHandler(Runnable handler) {}

        @Override
        public void request(int count) {}

        @Override
        public void setMessageCompression(boolean enable) {}

        @Override
        public void disableAutoInboundFlowControl() {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
    }
}
