package io.podvisor.it.bench;

import io.podvisor.it.cri.CriClient;
import io.podvisor.proto.cri.v1.ContainerConfig;
import io.podvisor.proto.cri.v1.ContainerMetadata;
import io.podvisor.proto.cri.v1.CreateContainerRequest;
import io.podvisor.proto.cri.v1.ExecSyncRequest;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.ImageSpec;
import io.podvisor.proto.cri.v1.LinuxPodSandboxConfig;
import io.podvisor.proto.cri.v1.Mount;
import io.podvisor.proto.cri.v1.PodSandboxConfig;
import io.podvisor.proto.cri.v1.PodSandboxMetadata;
import io.podvisor.proto.cri.v1.RemovePodSandboxRequest;
import io.podvisor.proto.cri.v1.RunPodSandboxRequest;
import io.podvisor.proto.cri.v1.StartContainerRequest;
import io.podvisor.proto.cri.v1.StopPodSandboxRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * A pod the benchmark drives through the CRI as kubelet would, with volumes where a container
 * needs one. {@link #close()} stops and removes the pod and its containers.
 */
final class BenchPod implements AutoCloseable {
    private final CriClient cri;
    private final PodSandboxConfig config;
    private final String id;
    private final String handler;

    private BenchPod(CriClient cri, PodSandboxConfig config, String id, String handler) {
        this.cri = cri;
        this.config = config;
        this.id = id;
        this.handler = handler;
    }

    /** RunPodSandbox with runtime handler {@code handler} ("" is containerd's default, runc). */
    static BenchPod run(CriClient cri, String name, String handler, Path logDir) {
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("bench")
                        .setUid(UUID.randomUUID().toString()))
                .setHostname(name)
                .setLogDirectory(logDir.toString())
                .setLinux(LinuxPodSandboxConfig.getDefaultInstance())
                .build();
        String id = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        return new BenchPod(cri, config, id, handler);
    }

    String id() {
        return id;
    }

    @Override
    public String toString() {
        return "pod " + id + " (" + (handler.isEmpty() ? "runc" : handler) + ")";
    }

    /** The CRI log file of container {@code name}, which containerd fills from its output. */
    Path logPath(String name) {
        return Path.of(config.getLogDirectory(), name + ".log");
    }

    /** CreateContainer + StartContainer; returns the container id. */
    String startContainer(String name, String image, List<String> command, List<Mount> mounts) {
        ContainerConfig container = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(command)
                .addAllMounts(mounts)
                .setLogPath(name + ".log")
                .build();
        String containerId = cri.runtime().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(id).setConfig(container).setSandboxConfig(config).build()).getContainerId();
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(containerId).build());
        return containerId;
    }

    ExecSyncResponse exec(String containerId, List<String> command) {
        return cri.runtime().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(containerId).addAllCmd(command).setTimeout(120).build());
    }

    @Override
    public void close() {
        cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }
}
