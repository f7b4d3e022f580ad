package io.podvisor.shim.task;

import com.google.protobuf.Timestamp;
import io.podvisor.proto.containerd.events.TaskCreate;
import io.podvisor.proto.containerd.events.TaskDelete;
import io.podvisor.proto.containerd.events.TaskExecAdded;
import io.podvisor.proto.containerd.events.TaskExecStarted;
import io.podvisor.proto.containerd.events.TaskExit;
import io.podvisor.proto.containerd.events.TaskIO;
import io.podvisor.proto.containerd.events.TaskOOM;
import io.podvisor.proto.containerd.events.TaskPaused;
import io.podvisor.proto.containerd.events.TaskResumed;
import io.podvisor.proto.containerd.types.Mount;
import io.podvisor.shim.events.EventPublisher;
import io.podvisor.shim.io.StdioPaths;
import java.time.Instant;
import java.util.List;

/** The task events containerd expects from a shim, with their topics. */
final class TaskEvents {
    static final String CREATE = "/tasks/create";
    static final String START = "/tasks/start";
    static final String EXIT = "/tasks/exit";
    static final String DELETE = "/tasks/delete";
    static final String EXEC_ADDED = "/tasks/exec-added";
    static final String EXEC_STARTED = "/tasks/exec-started";
    static final String OOM = "/tasks/oom";
    static final String PAUSED = "/tasks/paused";
    static final String RESUMED = "/tasks/resumed";

    private final EventPublisher publisher;

    TaskEvents(EventPublisher publisher) {
        this.publisher = publisher;
    }

    void created(String containerId, String bundle, List<Mount> rootfs, StdioPaths io, int pid) {
        publisher.publish(CREATE, TaskCreate.newBuilder().setContainerId(containerId).setBundle(bundle)
                .addAllRootfs(rootfs)
                .setIo(TaskIO.newBuilder().setStdin(io.stdin()).setStdout(io.stdout()).setStderr(io.stderr())
                        .setTerminal(io.terminal()))
                .setPid(pid).build());
    }

    void started(String containerId, String execId, int pid) {
        if (execId.isEmpty()) {
            publisher.publish(START, io.podvisor.proto.containerd.events.TaskStart.newBuilder()
                    .setContainerId(containerId).setPid(pid).build());
        } else {
            publisher.publish(EXEC_STARTED, TaskExecStarted.newBuilder().setContainerId(containerId).setExecId(execId)
                    .setPid(pid).build());
        }
    }

    void execAdded(String containerId, String execId) {
        publisher.publish(EXEC_ADDED, TaskExecAdded.newBuilder().setContainerId(containerId).setExecId(execId).build());
    }

    /** {@code id} is the exec id, or the container id for the init process. */
    void exited(String containerId, String id, Exit exit) {
        publisher.publish(EXIT, TaskExit.newBuilder().setContainerId(containerId).setId(id).setPid(exit.pid())
                .setExitStatus(exit.status()).setExitedAt(timestamp(exit.at())).build());
    }

    void deleted(String containerId, Exit exit) {
        publisher.publish(DELETE, TaskDelete.newBuilder().setContainerId(containerId).setId(containerId)
                .setPid(exit.pid()).setExitStatus(exit.status()).setExitedAt(timestamp(exit.at())).build());
    }

    void oom(String containerId) {
        publisher.publish(OOM, TaskOOM.newBuilder().setContainerId(containerId).build());
    }

    void paused(String containerId) {
        publisher.publish(PAUSED, TaskPaused.newBuilder().setContainerId(containerId).build());
    }

    void resumed(String containerId) {
        publisher.publish(RESUMED, TaskResumed.newBuilder().setContainerId(containerId).build());
    }

    static Timestamp timestamp(Instant at) {
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }
}
