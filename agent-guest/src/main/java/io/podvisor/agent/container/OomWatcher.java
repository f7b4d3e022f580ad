package io.podvisor.agent.container;

import io.grpc.stub.ServerCallStreamObserver;
import io.podvisor.agent.os.Inotify;
import io.podvisor.proto.agent.v1.AgentEvent;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reports OOM kills: watches each running container's memory.events with inotify (the kernel signals a
 * modification when a count changes) and tells every WatchEvents subscriber when {@code oom_kill} grows.
 */
public final class OomWatcher {

    private static final Logger LOG = Logger.getLogger(OomWatcher.class.getName());

    private final List<ServerCallStreamObserver<AgentEvent>> subscribers = new CopyOnWriteArrayList<>();
    private final Map<Integer, Watched> byWatch = new ConcurrentHashMap<>();
    private final Map<String, Integer> watchById = new ConcurrentHashMap<>();
    private Inotify inotify;

    private static final class Watched {
        final String containerId;
        final Path memoryEvents;
        long oomKills;

        Watched(String containerId, Path memoryEvents, long oomKills) {
            this.containerId = containerId;
            this.memoryEvents = memoryEvents;
            this.oomKills = oomKills;
        }
    }

    /** Starts watching a container whose cgroup now exists; a cgroup without the memory controller is skipped. */
    public void watch(String containerId, Path memoryEvents) {
        try {
            Inotify events = inotify();
            long now = CgroupStats.oomKills(memoryEvents);
            int watch = events.watch(memoryEvents, Inotify.IN_MODIFY);
            byWatch.put(watch, new Watched(containerId, memoryEvents, now));
            watchById.put(containerId, watch);
        } catch (NoSuchFileException e) {
            LOG.fine(() -> "container " + containerId + ": no " + memoryEvents + ", OOM kills will not be reported");
        } catch (IOException e) {
            LOG.warning("container " + containerId + ": cannot watch " + memoryEvents + ": " + e.getMessage());
        }
    }

    public void unwatch(String containerId) {
        Integer watch = watchById.remove(containerId);
        if (watch != null) {
            Watched watched = byWatch.remove(watch);
            if (watched != null) {
                check(watched);
            }
            inotify.unwatch(watch);
        }
    }

    /** Sends this subscriber every OOM kill from now until it cancels. */
    public void subscribe(ServerCallStreamObserver<AgentEvent> subscriber) {
        subscriber.setOnCancelHandler(() -> subscribers.remove(subscriber));
        subscribers.add(subscriber);
    }

    private synchronized Inotify inotify() throws IOException {
        if (inotify == null) {
            inotify = Inotify.open();
            Thread.ofPlatform().name("oom-watcher").daemon().start(this::run);
        }
        return inotify;
    }

    private void run() {
        try {
            while (true) {
                for (Inotify.Event event : inotify.read()) {
                    Watched watched = byWatch.get(event.watch());
                    if (watched != null && (event.mask() & Inotify.IN_MODIFY) != 0) {
                        check(watched);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "OOM watcher stopped; OOM kills will not be reported", e);
        }
    }

    private void check(Watched watched) {
        long count;
        try {
            count = CgroupStats.oomKills(watched.memoryEvents);
        } catch (IOException e) {
            return;
        }
        boolean grew;
        synchronized (watched) {
            grew = count > watched.oomKills;
            watched.oomKills = Math.max(count, watched.oomKills);
        }
        if (grew) {
            LOG.info("container " + watched.containerId + ": OOM kill (count " + count + ")");
            publish(AgentEvent.newBuilder().setOomContainerId(watched.containerId).build());
        }
    }

    private void publish(AgentEvent event) {
        for (ServerCallStreamObserver<AgentEvent> subscriber : subscribers) {
            try {
                synchronized (subscriber) {
                    if (!subscriber.isCancelled()) {
                        subscriber.onNext(event);
                    }
                }
            } catch (RuntimeException e) {
                subscribers.remove(subscriber);
            }
        }
    }
}
