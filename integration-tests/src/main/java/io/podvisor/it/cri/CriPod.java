package io.podvisor.it.cri;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.proto.cri.v1.AttachRequest;
import io.podvisor.proto.cri.v1.Container;
import io.podvisor.proto.cri.v1.ContainerConfig;
import io.podvisor.proto.cri.v1.ContainerFilter;
import io.podvisor.proto.cri.v1.ContainerStats;
import io.podvisor.proto.cri.v1.ContainerStatsRequest;
import io.podvisor.proto.cri.v1.ContainerStatus;
import io.podvisor.proto.cri.v1.ContainerStatusRequest;
import io.podvisor.proto.cri.v1.ContainerMetadata;
import io.podvisor.proto.cri.v1.CreateContainerRequest;
import io.podvisor.proto.cri.v1.ExecRequest;
import io.podvisor.proto.cri.v1.ExecSyncRequest;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.ImageSpec;
import io.podvisor.proto.cri.v1.LinuxContainerResources;
import io.podvisor.proto.cri.v1.LinuxContainerSecurityContext;
import io.podvisor.proto.cri.v1.LinuxPodSandboxConfig;
import io.podvisor.proto.cri.v1.LinuxSandboxSecurityContext;
import io.podvisor.proto.cri.v1.ListContainersRequest;
import io.podvisor.proto.cri.v1.PodSandboxConfig;
import io.podvisor.proto.cri.v1.PodSandboxMetadata;
import io.podvisor.proto.cri.v1.PodSandboxStats;
import io.podvisor.proto.cri.v1.PodSandboxStatsRequest;
import io.podvisor.proto.cri.v1.PodSandboxStatusRequest;
import io.podvisor.proto.cri.v1.PortForwardRequest;
import io.podvisor.proto.cri.v1.PodSandboxStatusResponse;
import io.podvisor.proto.cri.v1.RemoveContainerRequest;
import io.podvisor.proto.cri.v1.ReopenContainerLogRequest;
import io.podvisor.proto.cri.v1.RemovePodSandboxRequest;
import io.podvisor.proto.cri.v1.RunPodSandboxRequest;
import io.podvisor.proto.cri.v1.StartContainerRequest;
import io.podvisor.proto.cri.v1.StopContainerRequest;
import io.podvisor.proto.cri.v1.StopPodSandboxRequest;
import io.podvisor.proto.cri.v1.UpdateContainerResourcesRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * One pod run through the CRI the way kubelet does it: RunPodSandbox with a pod config, then
 * CreateContainer/StartContainer with the same config. {@link #close()} stops and removes the pod,
 * which removes its containers.
 */
public final class CriPod implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
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
        return run(cri, name, handler, logDir, LinuxContainerResources.getDefaultInstance());
    }

    /** Runs a pod whose resources (the sum of its containers', as kubelet sends them) are {@code resources}. */
    public static CriPod run(CriClient cri, String name, String handler, Path logDir, LinuxContainerResources resources)
            throws IOException {
        return run(cri, name, handler, logDir, resources, "");
    }

    /** Runs a pod under the host cgroup {@code cgroupParent} (cgroupfs form, as kubelet's pod cgroup: "/a/b"). */
    public static CriPod run(CriClient cri, String name, String handler, Path logDir, String cgroupParent)
            throws IOException {
        return run(cri, name, handler, logDir, LinuxContainerResources.getDefaultInstance(), cgroupParent);
    }

    /** Runs a pod that may hold privileged containers (see {@link #privileged}). */
    public static CriPod runPrivileged(CriClient cri, String name, String handler, Path logDir) throws IOException {
        return run(cri, name, handler, logDir, LinuxPodSandboxConfig.newBuilder()
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setPrivileged(true)));
    }

    private static CriPod run(CriClient cri, String name, String handler, Path logDir, LinuxContainerResources resources,
            String cgroupParent) throws IOException {
        return run(cri, name, handler, logDir,
                LinuxPodSandboxConfig.newBuilder().setCgroupParent(cgroupParent).setResources(resources));
    }

    private static CriPod run(CriClient cri, String name, String handler, Path logDir, LinuxPodSandboxConfig.Builder linux)
            throws IOException {
        Files.createDirectories(logDir);
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("default")
                        .setUid(UUID.randomUUID().toString()).setAttempt(0))
                .setHostname(name)
                .setLogDirectory(logDir.toString())
                .setLinux(linux)
                .build();
        String id = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        return new CriPod(cri, config, id);
    }

    public String id() {
        return sandboxId;
    }

    @Override
    public String toString() {
        return "pod " + sandboxId + " (" + config.getMetadata().getNamespace() + "/" + config.getMetadata().getName() + ")";
    }

    public PodSandboxStatusResponse status() {
        return cri.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId).build());
    }

    /** The network namespace containerd made for the pod, from the sandbox spec in the verbose status. */
    public Path netnsPath() throws IOException {
        String info = cri.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId)
                .setVerbose(true).build()).getInfoOrDefault("info", "{}");
        for (JsonNode namespace : JSON.readTree(info).path("runtimeSpec").path("linux").path("namespaces")) {
            if (namespace.path("type").asText().equals("network") && !namespace.path("path").asText().isEmpty()) {
                return Path.of(namespace.path("path").asText());
            }
        }
        throw new IOException("pod " + sandboxId + ": no network namespace path in its verbose status: " + info);
    }

    /** A container config of {@code image} running {@code command}, logging to {@code <name>.log}; add mounts or resources to it. */
    public static ContainerConfig.Builder container(String name, String image, List<String> command) {
        return ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(command)
                .setLogPath(name + ".log");
    }

    /** {@code container} with every privilege (all capabilities, devices, writable /proc and /sys): in a privileged pod. */
    public static ContainerConfig.Builder privileged(ContainerConfig.Builder container) {
        return container.setLinux(container.getLinuxBuilder()
                .setSecurityContext(LinuxContainerSecurityContext.newBuilder().setPrivileged(true)));
    }

    /** Creates and starts a container of {@code image} running {@code command}; returns its id. */
    public String startContainer(String name, String image, List<String> command) {
        return startContainer(container(name, image, command));
    }

    public String startContainer(ContainerConfig.Builder container) {
        String id = createContainer(container);
        start(id);
        return id;
    }

    public void start(String containerId) {
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(containerId).build());
    }

    public String createContainer(ContainerConfig.Builder container) {
        return cri.runtime().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setConfig(container).setSandboxConfig(config).build()).getContainerId();
    }

    /** The file the CRI writes a container's output to, as {@link #container} names it. */
    public Path logFile(String containerName) {
        return Path.of(config.getLogDirectory()).resolve(containerName + ".log");
    }

    /** ReopenContainerLog, as kubelet calls it after renaming a container's log file (log rotation). */
    public void reopenLog(String containerId) {
        cri.runtime().reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(containerId).build());
    }

    public void removeContainer(String containerId) {
        cri.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(containerId).build());
    }

    public ContainerStatus containerStatus(String containerId) {
        return cri.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(containerId).build())
                .getStatus();
    }

    public ContainerStats stats(String containerId) {
        return cri.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(containerId).build())
                .getStats();
    }

    /** StopContainer: TERM, then KILL once {@code graceSeconds} have passed. */
    public void stopContainer(String containerId, long graceSeconds) {
        cri.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(containerId)
                .setTimeout(graceSeconds).build());
    }

    public void updateResources(String containerId, LinuxContainerResources resources) {
        cri.runtime().updateContainerResources(UpdateContainerResourcesRequest.newBuilder()
                .setContainerId(containerId).setLinux(resources).build());
    }

    /** The pod's containers, as ListContainers filtered by this sandbox returns them. */
    public List<Container> containers() {
        return cri.runtime().listContainers(ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().setPodSandboxId(sandboxId)).build()).getContainersList();
    }

    public ExecSyncResponse exec(String containerId, long timeoutSeconds, String... command) {
        return cri.runtime().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(containerId).addAllCmd(List.of(command)).setTimeout(timeoutSeconds).build());
    }

    /** The stdout of an exec that had to succeed; fails with its exit code and stderr when it did not. */
    public static String stdoutOf(ExecSyncResponse response) {
        if (response.getExitCode() != 0) {
            throw new AssertionError("exec failed with exit code " + response.getExitCode() + ": "
                    + response.getStderr().toStringUtf8());
        }
        return response.getStdout().toStringUtf8();
    }

    /**
     * Exec through the CRI's streaming server, as {@code kubectl exec} does: with {@code tty} a
     * terminal with stdin (stderr merged into it), else stdout and stderr apart and no stdin.
     */
    public StreamingExec streamingExec(String containerId, boolean tty, String... command)
            throws IOException, InterruptedException {
        String url = cri.runtime().exec(ExecRequest.newBuilder().setContainerId(containerId).addAllCmd(List.of(command))
                .setTty(tty).setStdin(tty).setStdout(true).setStderr(!tty).build()).getUrl();
        return StreamingExec.connect(url, Duration.ofSeconds(60));
    }

    /** PortForward through the CRI's streaming server, as {@code kubectl port-forward} does, one connection to {@code port}. */
    public StreamingPortForward portForward(int port) throws IOException, InterruptedException {
        String url = cri.runtime().portForward(PortForwardRequest.newBuilder().setPodSandboxId(sandboxId).addPort(port)
                .build()).getUrl();
        return StreamingPortForward.connect(url, Duration.ofSeconds(60));
    }

    /**
     * Attach through the CRI's streaming server, as {@code kubectl attach -i [-t]} does: stdin and stdout, and
     * stderr apart unless {@code tty}. The final status comes once the container's output ended.
     */
    public StreamingExec attach(String containerId, boolean tty) throws IOException, InterruptedException {
        String url = cri.runtime().attach(AttachRequest.newBuilder().setContainerId(containerId).setStdin(true)
                .setTty(tty).setStdout(true).setStderr(!tty).build()).getUrl();
        return StreamingExec.connect(url, Duration.ofSeconds(60));
    }

    /** PodSandboxStats, what {@code crictl statsp} shows. */
    public PodSandboxStats podStats() {
        return cri.runtime().podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(sandboxId).build())
                .getStats();
    }

    @Override
    public void close() {
        cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
    }
}
