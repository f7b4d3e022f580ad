package io.podvisor.shim.task;

import io.podvisor.proto.containerd.types.task.Status;
import io.podvisor.shim.ShimLog;
import io.podvisor.shim.io.ProcessIo;
import io.podvisor.shim.task.ProcessState.Created;
import io.podvisor.shim.task.ProcessState.Deleted;
import io.podvisor.shim.task.ProcessState.Paused;
import io.podvisor.shim.task.ProcessState.Running;
import io.podvisor.shim.task.ProcessState.Stopped;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One process of a container (init or exec) and its state. Exit handling lives here and only here:
 * on exit the state becomes Stopped, the output FIFOs are closed (all output was written), the exit
 * event is published, and only then are waiters released. Delete is legal only from Stopped (or
 * Created), so a delete can never be published before the exit it follows.
 */
final class ProcessTask {
    private final String containerId;
    private final String execId;
    private final ContainerProcess process;
    private final ProcessIo io;
    private final TaskEvents events;
    private final ShimLog log;
    private final CompletableFuture<Exit> exited = new CompletableFuture<>();
    private ProcessState state = new Created();

    ProcessTask(String containerId, String execId, ContainerProcess process, ProcessIo io, TaskEvents events) {
        this.containerId = containerId;
        this.execId = execId;
        this.process = process;
        this.io = io;
        this.events = events;
        this.log = ShimLog.forId(containerId);
    }

    String execId() {
        return execId;
    }

    boolean isInit() {
        return execId.isEmpty();
    }

    ContainerProcess process() {
        return process;
    }

    ProcessIo io() {
        return io;
    }

    /** The future that completes after this process's exit was published (or it was deleted unstarted). */
    CompletableFuture<Exit> exited() {
        return exited;
    }

    synchronized ProcessState state() {
        return state;
    }

    synchronized int pid() {
        return switch (state) {
            case Created c -> process.pid();
            case Running r -> r.pid();
            case Paused p -> p.pid();
            case Stopped s -> s.exit().pid();
            case Deleted d -> d.exit().pid();
        };
    }

    synchronized int start() throws TaskException {
        switch (state) {
            case Created c -> {
                int pid = process.start();
                state = new Running(pid);
                events.started(containerId, execId, pid);
                log.info(describe() + " started, pid " + pid);
                return pid;
            }
            case Running r -> throw TaskException.failedPrecondition(describe() + " is already running");
            case Paused p -> throw TaskException.failedPrecondition(describe() + " is already running (paused)");
            case Stopped s -> throw TaskException.failedPrecondition(describe() + " has already exited");
            case Deleted d -> throw TaskException.notFound(describe() + " was deleted");
        }
    }

    /** The backend is called outside this object's lock: its exit report may arrive while it kills. */
    void kill(int signal, boolean all) throws TaskException {
        requireLive();
        process.kill(signal, all);
    }

    void resizePty(int width, int height) throws TaskException {
        if (!io.terminal()) {
            throw TaskException.failedPrecondition(describe() + " has no terminal to resize");
        }
        requireLive();
        process.resizePty(width, height);
    }

    private synchronized void requireLive() throws TaskException {
        switch (state) {
            case Created c -> { }
            case Running r -> { }
            case Paused p -> { }
            case Stopped s -> throw TaskException.notFound(describe() + ": process already finished");
            case Deleted d -> throw TaskException.notFound(describe() + " was deleted");
        }
    }

    synchronized void paused() throws TaskException {
        if (!(state instanceof Running r)) {
            throw TaskException.failedPrecondition(describe() + " cannot be paused while " + stateName());
        }
        state = new Paused(r.pid());
    }

    synchronized void resumed() throws TaskException {
        if (!(state instanceof Paused p)) {
            throw TaskException.failedPrecondition(describe() + " cannot be resumed while " + stateName());
        }
        state = new Running(p.pid());
    }

    /** Called once when the backend reports the exit (after all output was written). */
    synchronized void onExit(Integer status, Throwable failure) {
        if (state instanceof Stopped || state instanceof Deleted) {
            return;
        }
        int code = status != null ? status : Exit.UNKNOWN_STATUS;
        if (failure != null) {
            log.error(describe() + ": exit status unknown, reporting " + code, failure);
        }
        Exit exit = new Exit(pid(), code, Instant.now());
        state = new Stopped(exit);
        try {
            io.close();
        } catch (IOException e) {
            log.warn(describe() + ": closing its stdio failed", e);
        }
        events.exited(containerId, isInit() ? containerId : execId, exit);
        log.info(describe() + " exited with status " + code);
        exited.complete(exit);
    }

    synchronized void requireDeletable() throws TaskException {
        switch (state) {
            case Created c -> { }
            case Stopped s -> { }
            case Running r -> throw TaskException.failedPrecondition(describe() + " is running; kill it before deleting it");
            case Paused p -> throw TaskException.failedPrecondition(describe() + " is paused; kill it before deleting it");
            case Deleted d -> throw TaskException.notFound(describe() + " was already deleted");
        }
    }

    /** Created or Stopped → Deleted; returns the exit to report. */
    synchronized Exit delete() throws TaskException {
        Exit exit = switch (state) {
            case Created c -> new Exit(process.pid(), 0, Instant.now());
            case Stopped s -> s.exit();
            case Running r -> throw TaskException.failedPrecondition(describe() + " is running; kill it before deleting it");
            case Paused p -> throw TaskException.failedPrecondition(describe() + " is paused; kill it before deleting it");
            case Deleted d -> throw TaskException.notFound(describe() + " was already deleted");
        };
        state = new Deleted(exit);
        try {
            io.close();
        } catch (IOException e) {
            log.warn(describe() + ": closing its stdio failed", e);
        }
        exited.complete(exit);
        return exit;
    }

    Status status() {
        return state().status();
    }

    private String stateName() {
        return state.status().name().toLowerCase();
    }

    String describe() {
        return isInit() ? "container " + containerId : "exec " + execId + " of container " + containerId;
    }
}
