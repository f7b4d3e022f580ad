package io.podvisor.shim.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import io.podvisor.proto.containerd.runc.v1.ProcessDetails;
import io.podvisor.proto.containerd.task.v2.CheckpointTaskRequest;
import io.podvisor.proto.containerd.task.v2.CloseIORequest;
import io.podvisor.proto.containerd.task.v2.ConnectRequest;
import io.podvisor.proto.containerd.task.v2.ConnectResponse;
import io.podvisor.proto.containerd.task.v2.CreateTaskRequest;
import io.podvisor.proto.containerd.task.v2.CreateTaskResponse;
import io.podvisor.proto.containerd.task.v2.DeleteRequest;
import io.podvisor.proto.containerd.task.v2.DeleteResponse;
import io.podvisor.proto.containerd.task.v2.ExecProcessRequest;
import io.podvisor.proto.containerd.task.v2.KillRequest;
import io.podvisor.proto.containerd.task.v2.PauseRequest;
import io.podvisor.proto.containerd.task.v2.PidsRequest;
import io.podvisor.proto.containerd.task.v2.PidsResponse;
import io.podvisor.proto.containerd.task.v2.ResizePtyRequest;
import io.podvisor.proto.containerd.task.v2.ResumeRequest;
import io.podvisor.proto.containerd.task.v2.ShutdownRequest;
import io.podvisor.proto.containerd.task.v2.StartRequest;
import io.podvisor.proto.containerd.task.v2.StartResponse;
import io.podvisor.proto.containerd.task.v2.StateRequest;
import io.podvisor.proto.containerd.task.v2.StateResponse;
import io.podvisor.proto.containerd.task.v2.StatsRequest;
import io.podvisor.proto.containerd.task.v2.StatsResponse;
import io.podvisor.proto.containerd.task.v2.UpdateTaskRequest;
import io.podvisor.proto.containerd.task.v2.WaitRequest;
import io.podvisor.proto.containerd.task.v2.WaitResponse;
import io.podvisor.proto.containerd.types.task.ProcessInfo;
import io.podvisor.shim.ShimLog;
import io.podvisor.shim.StepTimer;
import io.podvisor.shim.events.EventPublisher;
import io.podvisor.shim.events.ForwardingEventPublisher;
import io.podvisor.shim.io.ProcessIo;
import io.podvisor.shim.io.StdioPaths;
import io.podvisor.shim.task.ProcessState.Deleted;
import io.podvisor.shim.task.ProcessState.Stopped;
import io.podvisor.shim.ttrpc.TtrpcService;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * containerd's shim Task API translated onto a {@link Sandbox}: it decodes requests, finds the
 * container and process named, drives their states and answers. It is served as
 * {@code containerd.task.v2.Task} (containerd 1.7, and 2.x for shims that answer {@code start} with
 * version 2) and as {@code containerd.task.v3.Task} (containerd 2.x): the two have the same methods and
 * the same messages, field for field.
 */
public final class TaskService {
    public static final String SERVICE = "containerd.task.v2.Task";
    public static final String SERVICE_V3 = "containerd.task.v3.Task";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Sandbox sandbox;
    private final TaskEvents events;
    private final Runnable shutdown;
    private final String version;
    private final Map<String, ContainerTask> containers = new ConcurrentHashMap<>();

    /**
     * @param shutdown run (once, on another thread) when containerd shuts the shim down with no
     *                 container left, or with {@code now}; it stops the shim process
     */
    public TaskService(Sandbox sandbox, EventPublisher publisher, Runnable shutdown, String version) {
        this.sandbox = sandbox;
        this.events = new TaskEvents(publisher);
        this.shutdown = shutdown;
        this.version = version;
    }

    /** The Task API under both its names, v2 and v3. */
    public List<TtrpcService> ttrpcServices() {
        return List.of(ttrpcService(SERVICE), ttrpcService(SERVICE_V3));
    }

    private TtrpcService ttrpcService(String name) {
        return TtrpcService.named(name)
                .method("State", StateRequest.parser(), (r, c) -> state(r))
                .method("Create", CreateTaskRequest.parser(), (r, c) -> create(r))
                .method("Start", StartRequest.parser(), (r, c) -> start(r))
                .method("Delete", DeleteRequest.parser(), (r, c) -> delete(r))
                .method("Pids", PidsRequest.parser(), (r, c) -> pids(r))
                .method("Pause", PauseRequest.parser(), (r, c) -> pause(r))
                .method("Resume", ResumeRequest.parser(), (r, c) -> resume(r))
                .method("Checkpoint", CheckpointTaskRequest.parser(), (r, c) -> checkpoint(r))
                .method("Kill", KillRequest.parser(), (r, c) -> kill(r))
                .method("Exec", ExecProcessRequest.parser(), (r, c) -> exec(r))
                .method("ResizePty", ResizePtyRequest.parser(), (r, c) -> resizePty(r))
                .method("CloseIO", CloseIORequest.parser(), (r, c) -> closeIo(r))
                .method("Update", UpdateTaskRequest.parser(), (r, c) -> update(r))
                .method("Wait", WaitRequest.parser(), (r, c) -> await(r))
                .method("Stats", StatsRequest.parser(), (r, c) -> stats(r))
                .method("Connect", ConnectRequest.parser(), (r, c) -> connect(r))
                .method("Shutdown", ShutdownRequest.parser(), (r, c) -> shutdown(r))
                .build();
    }

    public CreateTaskResponse create(CreateTaskRequest request) throws TaskException {
        String id = request.getId();
        TaskIds.require("container", id);
        if (!request.getCheckpoint().isEmpty()) {
            throw TaskException.unimplemented("container " + id + ": podvisor cannot restore checkpoints");
        }
        if (containers.containsKey(id)) {
            throw TaskException.alreadyExists("container " + id + " already exists");
        }
        StepTimer timer = StepTimer.start(id, "container " + id);
        OciBundle bundle = OciBundle.load(Path.of(request.getBundle()));
        StdioPaths paths = new StdioPaths(request.getStdin(), request.getStdout(), request.getStderr(), request.getTerminal());
        ProcessIo io = openIo(paths, "container " + id);
        ContainerTask task;
        try {
            Container container = sandbox.createContainer(new ContainerRequest(id, bundle, request.getRootfsList(), io,
                    request.getOptions(), () -> events.oom(id)));
            task = new ContainerTask(id, bundle, container, io, events);
        } catch (TaskException | RuntimeException e) {
            closeQuietly(io);
            throw e;
        }
        if (containers.putIfAbsent(id, task) != null) {
            closeQuietly(io);
            throw TaskException.alreadyExists("container " + id + " already exists");
        }
        int pid = task.init().pid();
        events.created(id, request.getBundle(), request.getRootfsList(), paths, pid);
        ShimLog.forId(id).info("container " + id + " created in bundle " + request.getBundle());
        timer.total(bundle.isSandbox() ? "Create (the pod's sandbox: its VM's boot, then the container in the guest)"
                : "Create (in the guest)");
        return CreateTaskResponse.newBuilder().setPid(pid).build();
    }

    public StartResponse start(StartRequest request) throws TaskException {
        StepTimer timer = StepTimer.start(request.getId(), "container " + request.getId()
                + (request.getExecId().isEmpty() ? "" : ", exec " + request.getExecId()));
        int pid = container(request.getId()).start(request.getExecId());
        timer.total("Start");
        return StartResponse.newBuilder().setPid(pid).build();
    }

    public DeleteResponse delete(DeleteRequest request) throws TaskException {
        ContainerTask container = container(request.getId());
        Exit exit;
        if (request.getExecId().isEmpty()) {
            exit = container.delete();
            containers.remove(request.getId(), container);
            events.deleted(request.getId(), exit);
            ShimLog.forId(request.getId()).info("container " + request.getId() + " deleted");
        } else {
            exit = container.deleteExec(request.getExecId());
        }
        return DeleteResponse.newBuilder().setPid(exit.pid()).setExitStatus(exit.status())
                .setExitedAt(TaskEvents.timestamp(exit.at())).build();
    }

    public StateResponse state(StateRequest request) throws TaskException {
        ContainerTask container = container(request.getId());
        ProcessTask process = container.process(request.getExecId());
        ProcessState state = process.state();
        StdioPaths paths = process.io().paths();
        StateResponse.Builder response = StateResponse.newBuilder()
                .setId(process.isInit() ? container.id() : process.execId())
                .setExecId(process.execId())
                .setBundle(container.bundle().path().toString())
                .setPid(process.pid())
                .setStatus(state.status())
                .setStdin(paths.stdin()).setStdout(paths.stdout()).setStderr(paths.stderr())
                .setTerminal(paths.terminal());
        Exit exit = switch (state) {
            case Stopped s -> s.exit();
            case Deleted d -> d.exit();
            default -> null;
        };
        if (exit != null) {
            response.setExitStatus(exit.status()).setExitedAt(TaskEvents.timestamp(exit.at()));
        }
        return response.build();
    }

    public Empty kill(KillRequest request) throws TaskException {
        container(request.getId()).process(request.getExecId()).kill(request.getSignal(), request.getAll());
        return Empty.getDefaultInstance();
    }

    public Empty exec(ExecProcessRequest request) throws TaskException {
        ContainerTask container = container(request.getId());
        TaskIds.require("container " + request.getId() + ": exec", request.getExecId());
        JsonNode spec;
        try {
            spec = JSON.readTree(request.getSpec().getValue().toByteArray());
        } catch (IOException e) {
            throw TaskException.invalidArgument("exec " + request.getExecId() + " in container " + request.getId()
                    + ": process spec is not JSON: " + e.getMessage());
        }
        if (spec == null || !spec.path("args").isArray() || spec.path("args").isEmpty()) {
            throw TaskException.invalidArgument("exec " + request.getExecId() + " in container " + request.getId()
                    + ": process spec has no args");
        }
        container.process("");
        ProcessIo io = openIo(new StdioPaths(request.getStdin(), request.getStdout(), request.getStderr(), request.getTerminal()),
                "exec " + request.getExecId() + " of container " + request.getId());
        try {
            container.addExec(new ExecRequest(request.getExecId(), spec, io));
        } catch (TaskException | RuntimeException e) {
            closeQuietly(io);
            throw e;
        }
        return Empty.getDefaultInstance();
    }

    public WaitResponse await(WaitRequest request) throws TaskException {
        ProcessTask process = container(request.getId()).process(request.getExecId());
        Exit exit;
        try {
            exit = process.exited().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskException(com.google.rpc.Code.CANCELLED, "wait for " + process.describe() + " cancelled");
        } catch (ExecutionException e) {
            throw TaskException.internal("wait for " + process.describe() + " failed: " + e.getCause(), e.getCause());
        }
        return WaitResponse.newBuilder().setExitStatus(exit.status()).setExitedAt(TaskEvents.timestamp(exit.at())).build();
    }

    public PidsResponse pids(PidsRequest request) throws TaskException {
        PidsResponse.Builder response = PidsResponse.newBuilder();
        for (ProcessPid pid : container(request.getId()).container().pids()) {
            ProcessInfo.Builder info = ProcessInfo.newBuilder().setPid(pid.pid());
            pid.execId().ifPresent(execId -> info.setInfo(
                    ForwardingEventPublisher.pack(ProcessDetails.newBuilder().setExecId(execId).build())));
            response.addProcesses(info);
        }
        return response.build();
    }

    public Empty pause(PauseRequest request) throws TaskException {
        ContainerTask container = container(request.getId());
        synchronized (container) {
            container.init().paused();
            try {
                container.container().pause();
            } catch (TaskException | RuntimeException e) {
                container.init().resumed();
                throw e;
            }
        }
        events.paused(request.getId());
        return Empty.getDefaultInstance();
    }

    public Empty resume(ResumeRequest request) throws TaskException {
        ContainerTask container = container(request.getId());
        synchronized (container) {
            if (!(container.init().state() instanceof ProcessState.Paused)) {
                throw TaskException.failedPrecondition("container " + request.getId() + " is not paused");
            }
            container.container().resume();
            container.init().resumed();
        }
        events.resumed(request.getId());
        return Empty.getDefaultInstance();
    }

    public Empty checkpoint(CheckpointTaskRequest request) throws TaskException {
        throw TaskException.unimplemented("container " + request.getId() + ": podvisor cannot checkpoint containers");
    }

    public Empty resizePty(ResizePtyRequest request) throws TaskException {
        container(request.getId()).process(request.getExecId()).resizePty(request.getWidth(), request.getHeight());
        return Empty.getDefaultInstance();
    }

    public Empty closeIo(CloseIORequest request) throws TaskException {
        ProcessTask process = container(request.getId()).process(request.getExecId());
        if (request.getStdin()) {
            try {
                process.io().closeStdin();
            } catch (IOException e) {
                throw TaskException.internal("closing the stdin of " + process.describe() + " failed: " + e.getMessage(), e);
            }
        }
        return Empty.getDefaultInstance();
    }

    public Empty update(UpdateTaskRequest request) throws TaskException {
        container(request.getId()).container().update(request.getResources(), request.getAnnotationsMap());
        return Empty.getDefaultInstance();
    }

    public StatsResponse stats(StatsRequest request) throws TaskException {
        Message stats = container(request.getId()).container().stats();
        return StatsResponse.newBuilder().setStats(ForwardingEventPublisher.pack(stats)).build();
    }

    public ConnectResponse connect(ConnectRequest request) {
        ContainerTask container = containers.get(request.getId());
        return ConnectResponse.newBuilder()
                .setShimPid((int) ProcessHandle.current().pid())
                .setTaskPid(container == null ? 0 : container.init().pid())
                .setVersion(version)
                .build();
    }

    public Empty shutdown(ShutdownRequest request) {
        if (!containers.isEmpty() && !request.getNow()) {
            return Empty.getDefaultInstance();
        }
        Thread.ofPlatform().name("shim-shutdown").start(shutdown);
        return Empty.getDefaultInstance();
    }

    /** The ids of the containers this shim holds. */
    public java.util.Set<String> containerIds() {
        return java.util.Set.copyOf(containers.keySet());
    }

    private ContainerTask container(String id) throws TaskException {
        ContainerTask container = containers.get(id);
        if (container == null) {
            throw TaskException.notFound("container " + id + " not found in this shim");
        }
        return container;
    }

    private static ProcessIo openIo(StdioPaths paths, String what) throws TaskException {
        try {
            return ProcessIo.open(paths);
        } catch (IOException e) {
            throw TaskException.invalidArgument(what + ": " + e.getMessage());
        }
    }

    private static void closeQuietly(ProcessIo io) {
        try {
            io.close();
        } catch (IOException e) {
            // The request already failed; its error is the one to report.
        }
    }
}
