package io.podvisor.shim.task;

import io.podvisor.shim.ShimLog;
import io.podvisor.shim.io.ProcessIo;
import io.podvisor.shim.task.ProcessState.Created;
import io.podvisor.shim.task.ProcessState.Paused;
import io.podvisor.shim.task.ProcessState.Running;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One container: its init process and its exec processes. The init's exit is published only after
 * the exits of the execs that were running (as upstream shims do), so containerd never sees an exec
 * exit for a task it considers finished.
 */
final class ContainerTask {
    private final String id;
    private final OciBundle bundle;
    private final Container container;
    private final ProcessTask init;
    private final TaskEvents events;
    private final Map<String, ProcessTask> execs = new LinkedHashMap<>();
    private boolean initExiting;

    ContainerTask(String id, OciBundle bundle, Container container, ProcessIo io, TaskEvents events) {
        this.id = id;
        this.bundle = bundle;
        this.container = container;
        this.events = events;
        this.init = new ProcessTask(id, "", container.init(), io, events);
    }

    String id() {
        return id;
    }

    OciBundle bundle() {
        return bundle;
    }

    Container container() {
        return container;
    }

    ProcessTask init() {
        return init;
    }

    /** The init process for an empty exec id, else that exec; NOT_FOUND naming both ids. */
    synchronized ProcessTask process(String execId) throws TaskException {
        if (execId.isEmpty()) {
            return init;
        }
        ProcessTask exec = execs.get(execId);
        if (exec == null) {
            throw TaskException.notFound("exec " + execId + " not found in container " + id);
        }
        return exec;
    }

    synchronized boolean hasExecs() {
        return !execs.isEmpty();
    }

    int start(String execId) throws TaskException {
        ProcessTask process = process(execId);
        if (!process.isInit()) {
            synchronized (this) {
                if (initExiting || !(init.state() instanceof Running)) {
                    throw TaskException.failedPrecondition("container " + id + " is not running; cannot start exec " + execId);
                }
            }
        }
        int pid = process.start();
        // Subscribed after start() published the start event, so the exit event always follows it.
        if (process.isInit()) {
            process.process().exit().whenComplete(this::onInitExit);
        } else {
            process.process().exit().whenComplete(process::onExit);
        }
        return pid;
    }

    private void onInitExit(Integer status, Throwable failure) {
        List<CompletableFuture<Exit>> running = new ArrayList<>();
        synchronized (this) {
            initExiting = true;
            for (ProcessTask exec : execs.values()) {
                ProcessState state = exec.state();
                if (state instanceof Running || state instanceof Paused) {
                    running.add(exec.exited());
                }
            }
        }
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new))
                .whenComplete((ignored, error) -> init.onExit(status, failure));
    }

    ProcessTask addExec(ExecRequest request) throws TaskException {
        synchronized (this) {
            if (execs.containsKey(request.execId())) {
                throw TaskException.alreadyExists("exec " + request.execId() + " already exists in container " + id);
            }
            ProcessState state = init.state();
            if (initExiting || !(state instanceof Running || state instanceof Created || state instanceof Paused)) {
                throw TaskException.failedPrecondition("container " + id + " is not running; cannot exec " + request.execId());
            }
            ProcessTask exec = new ProcessTask(id, request.execId(), container.exec(request), request.io(), events);
            execs.put(request.execId(), exec);
            events.execAdded(id, request.execId());
            return exec;
        }
    }

    Exit deleteExec(String execId) throws TaskException {
        ProcessTask exec = process(execId);
        Exit exit = exec.delete();
        synchronized (this) {
            execs.remove(execId);
        }
        exec.process().delete();
        return exit;
    }

    /** Deletes the container once its init stopped (or never started); containerd deletes execs first. */
    Exit delete() throws TaskException {
        init.requireDeletable();
        container.delete();
        Exit exit = init.delete();
        List<ProcessTask> leftovers;
        synchronized (this) {
            leftovers = new ArrayList<>(execs.values());
            execs.clear();
        }
        for (ProcessTask exec : leftovers) {
            try {
                exec.io().close();
            } catch (IOException e) {
                ShimLog.forId(id).warn("closing the stdio of " + exec.describe() + " failed", e);
            }
        }
        return exit;
    }

    boolean isCreated() {
        return init.state() instanceof Created;
    }
}
