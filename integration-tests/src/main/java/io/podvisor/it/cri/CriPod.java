package io.podvisor.it.cri;

import io.podvisor.proto.cri.v1.ContainerConfig;
import io.podvisor.proto.cri.v1.ContainerMetadata;
import io.podvisor.proto.cri.v1.CreateContainerRequest;
import io.podvisor.proto.cri.v1.ExecSyncRequest;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.ImageSpec;
import io.podvisor.proto.cri.v1.LinuxPodSandboxConfig;
import io.podvisor.proto.cri.v1.PodSandboxConfig;
import io.podvisor.proto.cri.v1.PodSandboxMetadata;
import io.podvisor.proto.cri.v1.PodSandboxStatusRequest;
import io.podvisor.proto.cri.v1.PodSandboxStatusResponse;
import io.podvisor.proto.cri.v1.RemovePodSandboxRequest;
import io.podvisor.proto.cri.v1.RunPodSandboxRequest;
import io.podvisor.proto.cri.v1.StartContainerRequest;
import io.podvisor.proto.cri.v1.StopPodSandboxRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.util.List;
import java.util.UUID;

/**
 * One pod run through the CRI the way kubelet does it: RunPodSandbox with a pod config, then
 * CreateContainer/StartContainer with the same config. {@link #close()} stops and removes the pod,
 * which removes its containers.
 */
public final class CriPod implements AutoCloseable {
    private final CriClient cri;
    private final PodSandboxConfig config;
    private final String sandboxId;

    private CriPod(CriClient cri, PodSandboxConfig config, String sandboxId) {
        this.cri = cri;
        this.config = config;
        this.sandboxId = sandboxId;
    }

    /** Runs a pod named {@code name} with the runtime handler ("" for containerd's default, runc). */
    public static CriPod run(CriClient cri, String name, String handler, Path logDir) throws IOException {
        Files.createDirectories(logDir);
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("default")
                        .setUid(UUID.randomUUID().toString()).setAttempt(0))
                .setHostname(name)
                .setLogDirectory(logDir.toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setCgroupParent(""))
                .build();
        String id = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        return new CriPod(cri, config, id);
    }

    public String id() {
        return sandboxId;
    }

    public PodSandboxStatusResponse status() {
        return cri.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId).build());
    }

    /** Creates and starts a container of {@code image} running {@code command}; returns its id. */
    public String startContainer(String name, String image, List<String> command) {
        ContainerConfig container = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(command)
                .setLogPath(name + ".log")
                .build();
        String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setConfig(container).setSandboxConfig(config).build()).getContainerId();
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    public ExecSyncResponse exec(String containerId, long timeoutSeconds, String... command) {
        return cri.runtime().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(containerId).addAllCmd(List.of(command)).setTimeout(timeoutSeconds).build());
    }

    @Override
    public void close() {
        cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
    }
}
