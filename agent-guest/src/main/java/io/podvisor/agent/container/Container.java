package io.podvisor.agent.container;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.podvisor.agent.os.Processes;
import io.podvisor.proto.agent.v1.ContainerStatsResponse;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One container in the guest: its bundle, its cgroup, and where its init process is in its life. The init
 * runs under a foreground {@code crun run}; exec processes under {@code crun exec}. Operations that make no
 * sense in the current state fail with FAILED_PRECONDITION naming the container and its state.
 */
public final class Container {

    private static final Logger LOG = Logger.getLogger(Container.class.getName());
    private static final int SIGKILL = 9;
    /** How long removal waits for a killed init's crun to exit before deleting the container anyway. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** The init's life: created (bundle only), starting (crun run launched), running, paused, stopped. */
    enum State { CREATED, STARTING, RUNNING, PAUSED, STOPPED }

    private final String id;
    private final GuestBundle bundle;
    private final ObjectNode config;
    private final ContainerCgroup cgroup;
    private final Crun crun;
    private final CountDownLatch initEnded = new CountDownLatch(1);
    private final Map<String, Integer> execPids = new HashMap<>();
    private State state = State.CREATED;
    private int initPid;
    private int fileSequence;

    Container(String id, GuestBundle bundle, ObjectNode config, ContainerCgroup cgroup, Crun crun) {
        this.id = id;
        this.bundle = bundle;
        this.config = config;
        this.cgroup = cgroup;
        this.crun = crun;
    }

    public String id() {
        return id;
    }

    GuestBundle bundle() {
        return bundle;
    }

    ContainerCgroup cgroup() {
        return cgroup;
    }

    synchronized State state() {
        return state;
    }

    /** Marks the init as starting and writes config.json with the terminal the request asks for. */
    synchronized void beginInit(GuestSpec.Terminal terminal) throws IOException {
        if (state != State.CREATED) {
            throw precondition("its init process was already started (" + describe(state) + ")");
        }
        ObjectNode process = (ObjectNode) config.get("process");
        ObjectNode before = process.deepCopy();
        terminal.applyTo(process);
        if (!process.equals(before)) {
            bundle.writeConfig(config);
        }
        state = State.STARTING;
    }

    synchronized void initRunning(int pid) {
        initPid = pid;
        if (state == State.STARTING) {
            state = State.RUNNING;
        }
    }

    /** crun run ended: the init has exited (or never started). */
    void initEnded() {
        synchronized (this) {
            state = State.STOPPED;
            execPids.clear();
        }
        initEnded.countDown();
    }

    /** Reserves {@code execId} and returns the number of its process and pid files. */
    synchronized int beginExec(String execId) {
        if (state != State.RUNNING) {
            throw precondition("cannot exec " + execId + ": the container is " + describe(state));
        }
        if (execPids.containsKey(execId)) {
            throw Status.ALREADY_EXISTS.withDescription("container " + id + " already has an exec process " + execId)
                    .asRuntimeException();
        }
        execPids.put(execId, 0);
        return ++fileSequence;
    }

    synchronized void execRunning(String execId, int pid) {
        execPids.replace(execId, pid);
    }

    synchronized void execEnded(String execId) {
        execPids.remove(execId);
    }

    /** Signals the init ({@code all}: every process of the container) or an exec process. */
    public void signal(String execId, int signal, boolean all) throws IOException {
        if (!execId.isEmpty()) {
            int pid;
            synchronized (this) {
                Integer known = execPids.get(execId);
                if (known == null || known == 0) {
                    throw Status.NOT_FOUND.withDescription("container " + id + " has no running exec process " + execId)
                            .asRuntimeException();
                }
                pid = known;
            }
            Processes.signal(pid, signal);
            return;
        }
        int pid;
        synchronized (this) {
            if (state == State.STOPPED) {
                throw Status.NOT_FOUND.withDescription("container " + id + ": its init process has already exited")
                        .asRuntimeException();
            }
            if (state != State.RUNNING && state != State.PAUSED) {
                throw precondition("cannot signal its init process: the container is " + describe(state));
            }
            pid = initPid;
        }
        if (all) {
            crun.kill(id, signal, true);
        } else {
            Processes.signal(pid, signal);
        }
    }

    synchronized int initPid() {
        return initPid;
    }

    public List<Integer> pids() throws IOException {
        return cgroup.pids();
    }

    public ContainerStatsResponse stats() throws IOException {
        try {
            return CgroupStats.read(cgroup.dir());
        } catch (NoSuchFileException e) {
            throw precondition("it has no cgroup " + cgroup.dir() + " (" + describe(state()) + ")");
        }
    }

    public synchronized void pause() throws IOException {
        if (state != State.RUNNING) {
            throw precondition("cannot pause it: it is " + describe(state));
        }
        crun.pause(id);
        state = State.PAUSED;
    }

    public synchronized void resume() throws IOException {
        if (state != State.PAUSED) {
            throw precondition("cannot resume it: it is " + describe(state));
        }
        crun.resume(id);
        state = State.RUNNING;
    }

    public void update(ObjectNode resources) throws IOException {
        Path file;
        synchronized (this) {
            if (state != State.RUNNING && state != State.PAUSED) {
                throw precondition("cannot update its resources: it is " + describe(state));
            }
            file = bundle.resourcesFile(++fileSequence);
        }
        GuestBundle.write(file, resources);
        crun.update(id, file);
    }

    /** Kills whatever still runs, waits for crun run to end, deletes crun's state and the bundle. */
    void destroy() throws IOException {
        State current = state();
        if (current == State.STARTING || current == State.RUNNING || current == State.PAUSED) {
            try {
                crun.kill(id, SIGKILL, true);
            } catch (IOException e) {
                LOG.fine(() -> "container " + id + ": " + e.getMessage());
            }
            try {
                if (!initEnded.await(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warning("container " + id + ": crun run still running " + KILL_WAIT.toSeconds()
                            + " s after SIGKILL; deleting the container anyway");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (crun.knows(id)) {
            crun.delete(id);
        }
        bundle.delete();
    }

    private StatusRuntimeException precondition(String what) {
        return Status.FAILED_PRECONDITION.withDescription("container " + id + ": " + what).asRuntimeException();
    }

    private static String describe(State state) {
        return switch (state) {
            case CREATED -> "created, not started";
            case STARTING -> "starting";
            case RUNNING -> "running";
            case PAUSED -> "paused";
            case STOPPED -> "stopped";
        };
    }
}
