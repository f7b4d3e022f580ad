package io.podvisor.shim.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.rpc.Code;
import io.podvisor.proto.containerd.events.TaskExit;
import io.podvisor.proto.containerd.runc.v1.ProcessDetails;
import io.podvisor.proto.containerd.task.v2.CheckpointTaskRequest;
import io.podvisor.proto.containerd.task.v2.CreateTaskRequest;
import io.podvisor.proto.containerd.task.v2.DeleteRequest;
import io.podvisor.proto.containerd.task.v2.DeleteResponse;
import io.podvisor.proto.containerd.task.v2.ExecProcessRequest;
import io.podvisor.proto.containerd.task.v2.KillRequest;
import io.podvisor.proto.containerd.task.v2.PidsRequest;
import io.podvisor.proto.containerd.task.v2.PidsResponse;
import io.podvisor.proto.containerd.task.v2.ShutdownRequest;
import io.podvisor.proto.containerd.task.v2.StartRequest;
import io.podvisor.proto.containerd.task.v2.StateRequest;
import io.podvisor.proto.containerd.task.v2.StateResponse;
import io.podvisor.proto.containerd.task.v2.WaitRequest;
import io.podvisor.proto.containerd.task.v2.WaitResponse;
import io.podvisor.proto.containerd.types.task.Status;
import io.podvisor.shim.ttrpc.TtrpcClient;
import io.podvisor.shim.ttrpc.TtrpcException;
import io.podvisor.shim.ttrpc.TtrpcServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class TaskServiceTest {
    @TempDir
    Path dir;

    private final FakeSandbox sandbox = new FakeSandbox();
    private final RecordingPublisher events = new RecordingPublisher();
    private final CountDownLatch shutdown = new CountDownLatch(1);
    private TaskService service;

    @BeforeEach
    void setUp() {
        service = new TaskService(sandbox, events, shutdown::countDown, "test");
    }

    private Path bundle(String id) throws IOException {
        Path bundle = Files.createDirectories(dir.resolve(id));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]}}");
        return bundle;
    }

    private void create(String id) throws Exception {
        service.create(CreateTaskRequest.newBuilder().setId(id).setBundle(bundle(id).toString()).build());
    }

    private StateResponse state(String id, String execId) throws TaskException {
        return service.state(StateRequest.newBuilder().setId(id).setExecId(execId).build());
    }

    @Test
    void lifecyclePublishesCreateStartExitDeleteInOrder() throws Exception {
        create("c1");
        assertEquals(Status.CREATED, state("c1", "").getStatus());
        int pid = service.start(StartRequest.newBuilder().setId("c1").build()).getPid();
        assertEquals(Status.RUNNING, state("c1", "").getStatus());
        assertEquals(pid, state("c1", "").getPid());

        CompletableFuture<WaitResponse> wait = CompletableFuture.supplyAsync(() -> {
            try {
                return service.await(WaitRequest.newBuilder().setId("c1").build());
            } catch (TaskException e) {
                throw new RuntimeException(e);
            }
        });
        service.kill(KillRequest.newBuilder().setId("c1").setSignal(9).build());
        assertEquals(137, wait.get(5, TimeUnit.SECONDS).getExitStatus());
        StateResponse stopped = state("c1", "");
        assertEquals(Status.STOPPED, stopped.getStatus());
        assertEquals(137, stopped.getExitStatus());

        DeleteResponse deleted = service.delete(DeleteRequest.newBuilder().setId("c1").build());
        assertEquals(137, deleted.getExitStatus());
        assertEquals(pid, deleted.getPid());
        assertTrue(sandbox.containers.get("c1").deleted);
        assertEquals(List.of(TaskEvents.CREATE, TaskEvents.START, TaskEvents.EXIT, TaskEvents.DELETE), events.topics());
        TaskExit exit = (TaskExit) events.events().get(2).message();
        assertEquals("c1", exit.getContainerId());
        assertEquals("c1", exit.getId());
        assertEquals(137, exit.getExitStatus());
    }

    @Test
    void unknownIdsAreNotFoundNamingTheId() throws Exception {
        List<TaskCall> calls = List.of(
                () -> state("ghost", ""),
                () -> service.start(StartRequest.newBuilder().setId("ghost").build()),
                () -> service.kill(KillRequest.newBuilder().setId("ghost").setSignal(15).build()),
                () -> service.delete(DeleteRequest.newBuilder().setId("ghost").build()),
                () -> service.await(WaitRequest.newBuilder().setId("ghost").build()));
        for (TaskCall call : calls) {
            TaskException e = assertThrows(TaskException.class, call::run);
            assertEquals(Code.NOT_FOUND, e.code());
            assertTrue(e.getMessage().contains("ghost"), e.getMessage());
        }
        create("c1");
        TaskException exec = assertThrows(TaskException.class, () -> state("c1", "nope"));
        assertEquals(Code.NOT_FOUND, exec.code());
        assertTrue(exec.getMessage().contains("nope") && exec.getMessage().contains("c1"), exec.getMessage());
    }

    @Test
    void execIdReusedIsAlreadyExistsAndExecLifecycleHasItsEvents() throws Exception {
        create("c1");
        service.start(StartRequest.newBuilder().setId("c1").build());
        service.exec(exec("c1", "e1"));
        TaskException reused = assertThrows(TaskException.class, () -> service.exec(exec("c1", "e1")));
        assertEquals(Code.ALREADY_EXISTS, reused.code());
        assertTrue(reused.getMessage().contains("e1"), reused.getMessage());

        int pid = service.start(StartRequest.newBuilder().setId("c1").setExecId("e1").build()).getPid();
        PidsResponse pids = service.pids(PidsRequest.newBuilder().setId("c1").build());
        Any details = pids.getProcesses(1).getInfo();
        assertEquals("containerd.runc.v1.ProcessDetails", details.getTypeUrl());
        assertEquals("e1", ProcessDetails.parseFrom(details.getValue()).getExecId());

        service.kill(KillRequest.newBuilder().setId("c1").setExecId("e1").setSignal(15).build());
        assertEquals(143, service.await(WaitRequest.newBuilder().setId("c1").setExecId("e1").build()).getExitStatus());
        DeleteResponse deleted = service.delete(DeleteRequest.newBuilder().setId("c1").setExecId("e1").build());
        assertEquals(pid, deleted.getPid());
        assertEquals(Status.RUNNING, state("c1", "").getStatus(), "the container outlives its exec");
        assertEquals(List.of(TaskEvents.CREATE, TaskEvents.START, TaskEvents.EXEC_ADDED, TaskEvents.EXEC_STARTED,
                TaskEvents.EXIT), events.topics());
        TaskExit exit = (TaskExit) events.events().get(4).message();
        assertEquals("e1", exit.getId());
        assertEquals(143, exit.getExitStatus());
    }

    @Test
    void initExitIsPublishedAfterTheExitsOfRunningExecs() throws Exception {
        create("c1");
        service.start(StartRequest.newBuilder().setId("c1").build());
        service.exec(exec("c1", "e1"));
        service.start(StartRequest.newBuilder().setId("c1").setExecId("e1").build());
        FakeSandbox.FakeContainer container = sandbox.containers.get("c1");

        container.init.exit(0);
        assertFalse(events.topics().contains(TaskEvents.EXIT), "init exit held back while exec e1 runs");
        TaskException late = assertThrows(TaskException.class, () -> service.exec(exec("c1", "e2")));
        assertEquals(Code.FAILED_PRECONDITION, late.code());

        container.execs.get("e1").exit(137);
        List<RecordingPublisher.Event> exits = events.events().stream()
                .filter(e -> e.topic().equals(TaskEvents.EXIT)).toList();
        assertEquals(List.of("e1", "c1"), exits.stream().map(e -> ((TaskExit) e.message()).getId()).toList());
    }

    @Test
    void illegalTransitionsAreRefusedWithTheirReason() throws Exception {
        create("c1");
        service.start(StartRequest.newBuilder().setId("c1").build());
        TaskException running = assertThrows(TaskException.class,
                () -> service.delete(DeleteRequest.newBuilder().setId("c1").build()));
        assertEquals(Code.FAILED_PRECONDITION, running.code());
        TaskException again = assertThrows(TaskException.class,
                () -> service.start(StartRequest.newBuilder().setId("c1").build()));
        assertEquals(Code.FAILED_PRECONDITION, again.code());

        service.kill(KillRequest.newBuilder().setId("c1").setSignal(9).build());
        service.await(WaitRequest.newBuilder().setId("c1").build());
        TaskException finished = assertThrows(TaskException.class,
                () -> service.kill(KillRequest.newBuilder().setId("c1").setSignal(9).build()));
        assertEquals(Code.NOT_FOUND, finished.code());
        assertTrue(finished.getMessage().contains("already finished"), finished.getMessage());
    }

    @Test
    void deletingACreatedContainerReleasesWaiters() throws Exception {
        create("c1");
        CompletableFuture<WaitResponse> wait = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                wait.complete(service.await(WaitRequest.newBuilder().setId("c1").build()));
            } catch (TaskException e) {
                wait.completeExceptionally(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (waiter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(Thread.State.WAITING, waiter.getState(), "Wait did not block on the created container");
        service.delete(DeleteRequest.newBuilder().setId("c1").build());
        assertEquals(0, wait.get(5, TimeUnit.SECONDS).getExitStatus());
        assertEquals(List.of(TaskEvents.CREATE, TaskEvents.DELETE), events.topics());
    }

    @Test
    void bundleWithoutConfigJsonIsRefusedAndOtherTasksAreUntouched() throws Exception {
        create("good");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        TaskException e = assertThrows(TaskException.class, () -> service.create(
                CreateTaskRequest.newBuilder().setId("bad").setBundle(empty.toString()).build()));
        assertEquals(Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("config.json"), e.getMessage());
        assertEquals(Status.CREATED, state("good", "").getStatus());
        TaskException twice = assertThrows(TaskException.class, () -> create("good"));
        assertEquals(Code.ALREADY_EXISTS, twice.code());
    }

    @Test
    void checkpointIsUnimplemented() {
        TaskException e = assertThrows(TaskException.class,
                () -> service.checkpoint(CheckpointTaskRequest.newBuilder().setId("c1").build()));
        assertEquals(Code.UNIMPLEMENTED, e.code());
    }

    @Test
    void shutdownWaitsForTheLastContainer() throws Exception {
        create("c1");
        service.shutdown(ShutdownRequest.newBuilder().setId("c1").build());
        assertFalse(shutdown.await(200, TimeUnit.MILLISECONDS), "shim shut down while holding a container");
        service.delete(DeleteRequest.newBuilder().setId("c1").build());
        service.shutdown(ShutdownRequest.newBuilder().setId("c1").build());
        assertTrue(shutdown.await(5, TimeUnit.SECONDS));
    }

    @ParameterizedTest
    @ValueSource(strings = {"containerd.task.v2.Task", "containerd.task.v3.Task"})
    void theServiceAnswersOverTtrpcUnderContainerdsServiceNames(String serviceName) throws Exception {
        create("c1");
        try (TtrpcServer server = TtrpcServer.bind(dir.resolve("shim.sock"), service.ttrpcServices(), (m, e) -> { });
                TtrpcClient client = TtrpcClient.forSocket(server.socket())) {
            StateResponse state = client.call(serviceName, "State",
                    StateRequest.newBuilder().setId("c1").build(), StateResponse.parser(), Duration.ofSeconds(5));
            assertEquals(Status.CREATED, state.getStatus());
            assertEquals(dir.resolve("c1").toString(), state.getBundle());
            TtrpcException missing = assertThrows(TtrpcException.class, () -> client.call(serviceName,
                    "Kill", KillRequest.newBuilder().setId("zz").build(), Empty.parser(), Duration.ofSeconds(5)));
            assertEquals(Code.NOT_FOUND, missing.code());
            assertTrue(missing.getMessage().contains("zz"));
        }
    }

    private static ExecProcessRequest exec(String id, String execId) {
        return ExecProcessRequest.newBuilder().setId(id).setExecId(execId)
                .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                        .setValue(ByteString.copyFromUtf8("{\"args\":[\"sh\",\"-c\",\"true\"],\"cwd\":\"/\"}")))
                .build();
    }

    @FunctionalInterface
    private interface TaskCall {
        void run() throws Exception;
    }
}
