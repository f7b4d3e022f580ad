package io.podvisor.agent;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.podvisor.agent.container.Container;
import io.podvisor.agent.container.ContainerRegistry;
import io.podvisor.agent.container.OomWatcher;
import io.podvisor.agent.network.NetworkConfigurator;
import io.podvisor.agent.network.PortForwardSession;
import io.podvisor.agent.os.Mounts;
import io.podvisor.agent.process.ProcessLauncher;
import io.podvisor.agent.process.ProcessSession;
import io.podvisor.proto.agent.v1.AgentEvent;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.ConfigureNetworkRequest;
import io.podvisor.proto.agent.v1.ConfigureNetworkResponse;
import io.podvisor.proto.agent.v1.ContainerStatsRequest;
import io.podvisor.proto.agent.v1.ContainerStatsResponse;
import io.podvisor.proto.agent.v1.CreateContainerRequest;
import io.podvisor.proto.agent.v1.CreateContainerResponse;
import io.podvisor.proto.agent.v1.GetGuestInfoRequest;
import io.podvisor.proto.agent.v1.GuestInfo;
import io.podvisor.proto.agent.v1.ListProcessesRequest;
import io.podvisor.proto.agent.v1.ListProcessesResponse;
import io.podvisor.proto.agent.v1.MountRequest;
import io.podvisor.proto.agent.v1.MountResponse;
import io.podvisor.proto.agent.v1.PauseContainerRequest;
import io.podvisor.proto.agent.v1.PauseContainerResponse;
import io.podvisor.proto.agent.v1.PortForwardInput;
import io.podvisor.proto.agent.v1.PortForwardOutput;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.RemoveContainerRequest;
import io.podvisor.proto.agent.v1.RemoveContainerResponse;
import io.podvisor.proto.agent.v1.ResumeContainerRequest;
import io.podvisor.proto.agent.v1.ResumeContainerResponse;
import io.podvisor.proto.agent.v1.ShutdownRequest;
import io.podvisor.proto.agent.v1.ShutdownResponse;
import io.podvisor.proto.agent.v1.SignalProcessRequest;
import io.podvisor.proto.agent.v1.SignalProcessResponse;
import io.podvisor.proto.agent.v1.UpdateContainerRequest;
import io.podvisor.proto.agent.v1.UpdateContainerResponse;
import io.podvisor.proto.agent.v1.WatchEventsRequest;
import java.io.IOException;
import java.nio.file.Path;

/** The podvisor.agent.v1.Agent service: thin translation onto the classes that do the work. */
final class AgentService extends AgentGrpc.AgentImplBase {

    private final GuestInfoReader guestInfo;
    private final ProcessLauncher commands;
    private final ProcessLauncher containerProcesses;
    private final ContainerRegistry containers;
    private final OomWatcher oomWatcher;
    private final NetworkConfigurator network;
    private final Runnable shutdown;

    /** What the service delegates to; {@code shutdown} runs once the Shutdown answer has been sent. */
    record Parts(GuestInfoReader guestInfo, ProcessLauncher commands, ProcessLauncher containerProcesses,
            ContainerRegistry containers, OomWatcher oomWatcher, NetworkConfigurator network, Runnable shutdown) {}

    AgentService(Parts parts) {
        this.guestInfo = parts.guestInfo();
        this.commands = parts.commands();
        this.containerProcesses = parts.containerProcesses();
        this.containers = parts.containers();
        this.oomWatcher = parts.oomWatcher();
        this.network = parts.network();
        this.shutdown = parts.shutdown();
    }

    /** A unary call's work; StatusRuntimeExceptions pass through, IOExceptions become INTERNAL naming {@code what}. */
    @FunctionalInterface
    private interface Work<T> {
        T run() throws IOException;
    }

    private static <T> void answer(StreamObserver<T> responses, String what, Work<T> work) {
        T response;
        try {
            response = work.run();
        } catch (StatusRuntimeException e) {
            responses.onError(e);
            return;
        } catch (IOException | RuntimeException e) {
            responses.onError(Status.INTERNAL.withDescription(what + ": " + e.getMessage()).asRuntimeException());
            return;
        }
        responses.onNext(response);
        responses.onCompleted();
    }

    @Override
    public void getGuestInfo(GetGuestInfoRequest request, StreamObserver<GuestInfo> responses) {
        answer(responses, "cannot read guest info", guestInfo::read);
    }

    @Override
    public StreamObserver<ProcessInput> runProcess(StreamObserver<ProcessOutput> responses) {
        return new ProcessSession(responses,
                start -> (start.getContainerId().isEmpty() ? commands : containerProcesses).launch(start));
    }

    @Override
    public void shutdown(ShutdownRequest request, StreamObserver<ShutdownResponse> responses) {
        ((ServerCallStreamObserver<ShutdownResponse>) responses).setOnCloseHandler(shutdown);
        responses.onNext(ShutdownResponse.getDefaultInstance());
        responses.onCompleted();
    }

    @Override
    public void mount(MountRequest request, StreamObserver<MountResponse> responses) {
        answer(responses, "cannot mount " + request.getSource() + " on " + request.getTarget(), () -> {
            if (!request.getTarget().startsWith("/")) {
                throw Status.INVALID_ARGUMENT.withDescription("Mount: target \"" + request.getTarget()
                        + "\" must be an absolute guest path").asRuntimeException();
            }
            try {
                Mounts.mount(request.getSource(), Path.of(request.getTarget()), request.getFstype(),
                        request.getOptionsList());
            } catch (IOException e) {
                throw Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException();
            }
            return MountResponse.getDefaultInstance();
        });
    }

    @Override
    public void createContainer(CreateContainerRequest request, StreamObserver<CreateContainerResponse> responses) {
        answer(responses, "cannot create container " + request.getContainerId(), () -> {
            containers.create(request.getContainerId(), request.getOciSpecJson().toByteArray(),
                    request.getRootfsPath());
            return CreateContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void signalProcess(SignalProcessRequest request, StreamObserver<SignalProcessResponse> responses) {
        answer(responses, "cannot signal container " + request.getContainerId(), () -> {
            containers.get(request.getContainerId()).signal(request.getExecId(), request.getSignal(), request.getAll());
            return SignalProcessResponse.getDefaultInstance();
        });
    }

    @Override
    public void listProcesses(ListProcessesRequest request, StreamObserver<ListProcessesResponse> responses) {
        answer(responses, "cannot list the processes of container " + request.getContainerId(), () ->
                ListProcessesResponse.newBuilder().addAllPids(containers.get(request.getContainerId()).pids()).build());
    }

    @Override
    public void containerStats(ContainerStatsRequest request, StreamObserver<ContainerStatsResponse> responses) {
        answer(responses, "cannot read the stats of container " + request.getContainerId(),
                () -> containers.get(request.getContainerId()).stats());
    }

    @Override
    public void updateContainer(UpdateContainerRequest request, StreamObserver<UpdateContainerResponse> responses) {
        answer(responses, "cannot update container " + request.getContainerId(), () -> {
            Container container = containers.get(request.getContainerId());
            container.update(ContainerRegistry.resources(container.id(), request.getResourcesJson().toByteArray()));
            return UpdateContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void pauseContainer(PauseContainerRequest request, StreamObserver<PauseContainerResponse> responses) {
        answer(responses, "cannot pause container " + request.getContainerId(), () -> {
            containers.get(request.getContainerId()).pause();
            return PauseContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void resumeContainer(ResumeContainerRequest request, StreamObserver<ResumeContainerResponse> responses) {
        answer(responses, "cannot resume container " + request.getContainerId(), () -> {
            containers.get(request.getContainerId()).resume();
            return ResumeContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> responses) {
        answer(responses, "cannot remove container " + request.getContainerId(), () -> {
            containers.remove(request.getContainerId());
            return RemoveContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void configureNetwork(ConfigureNetworkRequest request, StreamObserver<ConfigureNetworkResponse> responses) {
        answer(responses, "cannot configure the guest network", () -> {
            network.configure(request);
            return ConfigureNetworkResponse.getDefaultInstance();
        });
    }

    @Override
    public void watchEvents(WatchEventsRequest request, StreamObserver<AgentEvent> responses) {
        oomWatcher.subscribe((ServerCallStreamObserver<AgentEvent>) responses);
    }

    @Override
    public StreamObserver<PortForwardInput> portForward(StreamObserver<PortForwardOutput> responses) {
        return new PortForwardSession(responses);
    }
}
