package io.podvisor.agent;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.podvisor.proto.agent.v1.AgentEvent;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.ConfigureNetworkRequest;
import io.podvisor.proto.agent.v1.ContainerStatsRequest;
import io.podvisor.proto.agent.v1.CreateContainerRequest;
import io.podvisor.proto.agent.v1.ListProcessesRequest;
import io.podvisor.proto.agent.v1.MountRequest;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.proto.agent.v1.RemoveContainerRequest;
import io.podvisor.proto.agent.v1.SignalProcessRequest;
import io.podvisor.proto.agent.v1.UpdateContainerRequest;
import io.podvisor.proto.agent.v1.WatchEventsRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The container calls of the AOT training run. Nothing runs in a container at image build time: the agent's
 * crun is /bin/false, so starting a container takes the path of a crun that fails; every other call runs
 * as in the guest, with bundles in a temporary run directory.
 */
final class ContainerTraining {

    private static final String SPEC = """
            {"ociVersion": "1.0.2",
             "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "echo hi"],
                         "env": ["PATH=/bin"], "cwd": "/"},
             "root": {"path": "rootfs", "readonly": true},
             "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
             "hooks": {"prestart": [{"path": "/host/hook"}]},
             "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"},
                                      {"type": "mount"}]}}
            """;

    /** A step of the training that starts a process and feeds it stdin. */
    interface ProcessRunner {
        void run(ProcessStart start, String stdin) throws InterruptedException;
    }

    private ContainerTraining() {}

    static List<String> agentArguments(Path dir) {
        return List.of("--run-dir", dir.resolve("run").toString(), "--crun", "/bin/false");
    }

    static void exercise(ManagedChannel channel, ProcessRunner processes) throws InterruptedException {
        AgentGrpc.AgentBlockingStub agent = AgentGrpc.newBlockingStub(channel);
        Context.CancellableContext watch = Context.current().withCancellation();
        watch.run(() -> AgentGrpc.newStub(channel).watchEvents(WatchEventsRequest.getDefaultInstance(), ignoring()));
        String id = "aot-training";
        agent.createContainer(CreateContainerRequest.newBuilder().setContainerId(id).setRootfsPath("/nonexistent")
                .setOciSpecJson(ByteString.copyFromUtf8(SPEC)).build());
        expect(Status.Code.ALREADY_EXISTS, () -> agent.createContainer(CreateContainerRequest.newBuilder()
                .setContainerId(id).setRootfsPath("/nonexistent").setOciSpecJson(ByteString.copyFromUtf8(SPEC)).build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> agent.createContainer(CreateContainerRequest.newBuilder()
                .setContainerId("aot-bad").setRootfsPath("/r").setOciSpecJson(ByteString.copyFromUtf8("{}")).build()));
        agent.listProcesses(ListProcessesRequest.newBuilder().setContainerId(id).build());
        expect(Status.Code.FAILED_PRECONDITION,
                () -> agent.containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build()));
        expect(Status.Code.FAILED_PRECONDITION, () -> agent.signalProcess(SignalProcessRequest.newBuilder()
                .setContainerId(id).setSignal(15).build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> agent.updateContainer(UpdateContainerRequest.newBuilder()
                .setContainerId(id).setResourcesJson(ByteString.copyFromUtf8("[]")).build()));
        processes.run(ProcessStart.newBuilder().setContainerId(id).setTerminal(true).setRows(24).setColumns(80)
                .build(), "");
        agent.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        agent.createContainer(CreateContainerRequest.newBuilder().setContainerId(id).setRootfsPath("/nonexistent")
                .setOciSpecJson(ByteString.copyFromUtf8(SPEC)).build());
        processes.run(ProcessStart.newBuilder().setContainerId(id).build(), "input\n");
        processes.run(ProcessStart.newBuilder().setContainerId(id).setExecId("e1")
                .setProcessJson(ByteString.copyFromUtf8("{\"args\": [\"true\"]}")).build(), "");
        agent.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        expect(Status.Code.NOT_FOUND, () -> agent.removeContainer(RemoveContainerRequest.newBuilder()
                .setContainerId(id).build()));
        expect(Status.Code.NOT_FOUND, () -> agent.configureNetwork(ConfigureNetworkRequest.newBuilder()
                .setMac("02:00:00:00:00:01").setAddress("10.88.0.5/16").setMtu(1500).build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> agent.mount(MountRequest.newBuilder().setSource("pod")
                .setTarget("relative").setFstype("virtiofs").build()));
        watch.cancel(null);
    }

    static void deleteRunDir(Path dir) throws IOException {
        Path run = dir.resolve("run");
        if (Files.exists(run)) {
            try (Stream<Path> files = Files.walk(run)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static void expect(Status.Code code, Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == code) {
                return;
            }
            throw new IllegalStateException("training call failed with " + e.getStatus() + ", expected " + code, e);
        }
        throw new IllegalStateException("training call succeeded, expected " + code);
    }

    private static StreamObserver<AgentEvent> ignoring() {
        return new StreamObserver<>() {
            @Override
            public void onNext(AgentEvent event) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        };
    }
}
