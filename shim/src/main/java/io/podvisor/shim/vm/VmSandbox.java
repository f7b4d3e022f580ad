package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.stub.StreamObserver;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.virtiofs.RootfsMount;
import io.podvisor.proto.agent.v1.AgentEvent;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.agent.AgentException;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.task.Container;
import io.podvisor.shim.task.ContainerRequest;
import io.podvisor.shim.task.Sandbox;
import io.podvisor.shim.task.TaskException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pod: one VM, booted when its sandbox container is created, holding every container of the
 * pod. Containers' root file systems reach the guest through the pod's virtio-fs share.
 */
final class VmSandbox implements Sandbox {
    private static final System.Logger LOG = System.getLogger(VmSandbox.class.getName());

    private final PodvisorConfig config;
    private final Map<String, ContainerRequest> requests = new ConcurrentHashMap<>();
    private PodVm pod;
    /** A warm VM this shim took for its pod before the sandbox's create; null for a cold start. */
    private WarmVm warm;

    VmSandbox(PodvisorConfig config, WarmVm warm) {
        this.config = config;
        this.warm = warm;
    }

    @Override
    public synchronized Container createContainer(ContainerRequest request) throws TaskException {
        String id = request.id();
        if (pod == null) {
            if (!request.bundle().isSandbox()) {
                throw TaskException.failedPrecondition("container " + id + " belongs to pod "
                        + request.bundle().sandboxId().orElse("?") + ", whose VM is not running in this shim");
            }
            pod = bootPod(id, request.bundle().spec());
        } else if (!request.bundle().isSandbox()) {
            checkMemoryLimit(id, request.bundle().spec());
        }
        try {
            byte[] spec = GuestSpec.rewrite(request.bundle().spec(), id,
                    PodNames.container(id, pod.podId(), request.bundle().spec()), pod.shared());
            Path rootfs = mountRootfs(request);
            pod.agent().createContainer(id, spec, PodDirs.guestPath(pod.shared().path().relativize(rootfs).toString()));
        } catch (TaskException e) {
            removeShare(id);
            throw e;
        } catch (VmmException | AgentException e) {
            removeShare(id);
            throw VmProcess.failed(e instanceof AgentException ? e
                    : new AgentException("pod " + pod.podId() + ", container " + id + ": " + e.getMessage(), null, e));
        }
        requests.put(id, request);
        ProcessStart start = ProcessStart.newBuilder()
                .setContainerId(id)
                .setTerminal(request.io().terminal())
                .build();
        return new VmContainer(id, pod, new OomReportingInit(id, new VmProcess(pod.agent(), start, request.io()),
                pod.agent(), request.reportOom()));
    }

    @Override
    public synchronized boolean ended() {
        return pod != null && pod.died();
    }

    /**
     * Checks the pod's limits and network namespace before anything of the pod exists, then takes the warm VM this
     * shim holds when it has the pod's size, else boots one.
     */
    private PodVm bootPod(String podId, JsonNode sandboxSpec) throws TaskException {
        String name = PodNames.pod(podId, sandboxSpec);
        VmSize size = VmSize.forSandbox(name, sandboxSpec, config);
        Optional<Path> netns = PodNetworking.netnsOf(sandboxSpec);
        if (netns.isPresent()) {
            NetnsCheck.require(name, netns.get());
        }
        WarmVm taken = warm;
        warm = null;
        if (taken != null && !taken.size().equals(size)) {
            LOG.log(System.Logger.Level.INFO, "pod {0}: its VM needs {1} vCPUs and {2} MiB, warm VM {3} has {4} and {5}:"
                    + " booting cold", podId, size.vcpus(), size.memoryMiB(), taken.name(), taken.size().vcpus(),
                    taken.size().memoryMiB());
            taken.close();
            taken = null;
        }
        try {
            PodVm booted = taken != null ? taken.claim(podId, sandboxSpec) : PodVm.boot(config, podId, sandboxSpec, size);
            booted.agent().watchEvents(new OomListener());
            return booted;
        } catch (IOException | RuntimeException e) {
            throw TaskException.failedPrecondition("podvisor: cannot boot the VM for pod " + podId + ": "
                    + e.getMessage());
        }
    }

    /** A container's memory limit: not below the minimum; above the VM's memory only worth a note. */
    private void checkMemoryLimit(String id, JsonNode spec) throws TaskException {
        long limit = spec.path("linux").path("resources").path("memory").path("limit").asLong(0);
        if (limit <= 0) {
            return;
        }
        String name = PodNames.container(id, pod.podId(), spec);
        VmSize.requireMinimum(name, "container", limit, config);
        if (limit > pod.size().memoryMiB() * VmSize.MIB) {
            LOG.log(System.Logger.Level.INFO, "{0}: its memory limit of {1} is more than the pod VM''s {2} MiB;"
                    + " the guest runs out of memory before the container reaches its limit", name,
                    VmSize.describe(limit), pod.size().memoryMiB());
        }
    }

    private Path mountRootfs(ContainerRequest request) throws VmmException {
        List<RootfsMount> mounts = request.rootfs().stream()
                .map(m -> new RootfsMount(m.getType(), m.getSource(), m.getOptionsList()))
                .toList();
        if (mounts.isEmpty()) {
            Path bundleRootfs = request.bundle().path().resolve(
                    request.bundle().spec().path("root").path("path").asText("rootfs"));
            if (!Files.isDirectory(bundleRootfs)) {
                throw new VmmException("container " + request.id() + ": no rootfs mounts and no " + bundleRootfs);
            }
            mounts = List.of(new RootfsMount("bind", bundleRootfs.toString(), List.of("rbind")));
        }
        return pod.shared().mountRootfs(request.id(), mounts);
    }

    private void removeShare(String id) {
        try {
            pod.shared().remove(id);
        } catch (VmmException e) {
            LOG.log(System.Logger.Level.WARNING, "pod {0}: {1}", pod.podId(), e.getMessage());
        }
    }

    @Override
    public synchronized void shutdown() {
        if (pod != null) {
            pod.close();
            pod = null;
        }
        if (warm != null) {
            warm.close();
            warm = null;
        }
    }

    /** Forwards the guest's OOM kills to the container's Task events. */
    private final class OomListener implements StreamObserver<AgentEvent> {
        @Override
        public void onNext(AgentEvent event) {
            if (event.hasOomContainerId()) {
                ContainerRequest request = requests.get(event.getOomContainerId());
                if (request != null) {
                    request.reportOom().run();
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            // The VM is going away; exits are reported through the process streams.
        }

        @Override
        public void onCompleted() {
        }
    }
}
