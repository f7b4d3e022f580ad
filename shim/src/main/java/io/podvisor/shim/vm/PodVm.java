package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.virtiofs.SharedDir;
import io.podvisor.hypervisor.virtiofs.Virtiofsd;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.AgentException;
import io.podvisor.shim.agent.ConsoleTail;
import io.podvisor.shim.agent.GuestAgent;
import io.podvisor.shim.agent.Versions;
import io.podvisor.shim.StepTimer;
import io.podvisor.shim.config.Hypervisors;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.config.RunDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One pod's VM and what it stands on: the pod directory, the shared directory virtiofsd serves,
 * the VMM and the guest agent. {@link #close()} releases all of it, in reverse order.
 */
final class PodVm implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PodVm.class.getName());
    private static final int CONSOLE_TAIL_LINES = 40;

    private final String podId;
    private final Path podDir;
    private final SharedDir shared;
    private final Virtiofsd virtiofsd;
    private final Vmm vm;
    private final AgentClient agent;
    private final PodNetworking network;
    private final VmSize size;
    private volatile PortForwarder portForwarder;
    private volatile PodCgroup cgroup;
    /** The pod's name in the pods directory when its directory is a warm VM's; removed with the pod. */
    private volatile Path podLink;
    /** Set once the pod ends, on purpose or because a process it stands on died. */
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean died;

    private PodVm(String podId, Path podDir, SharedDir shared, Virtiofsd virtiofsd, Vmm vm, AgentClient agent,
            PodNetworking network, VmSize size) {
        this.podId = podId;
        this.size = size;
        this.podDir = podDir;
        this.shared = shared;
        this.virtiofsd = virtiofsd;
        this.vm = vm;
        this.agent = agent;
        this.network = network;
    }

    /**
     * Boots the pod's VM, in the pod's network namespace with the CNI network when the sandbox spec
     * names one, and mounts the pod share in the guest. On failure nothing is left.
     */
    static PodVm boot(PodvisorConfig config, String podId, JsonNode sandboxSpec, VmSize size) throws IOException {
        StepTimer timer = StepTimer.start(podId, "pod " + podId + " start");
        PodNetworking network = null;
        AtomicReference<PodCgroup> cgroup = new AtomicReference<>();
        Booted booted = null;
        try {
            network = PodNetworking.attach(podId, sandboxSpec).orElse(null);
            timer.step("network (TAP in the pod's network namespace)");
            booted = Booted.boot(config, podId, size, network == null ? List.of() : network.devices(),
                    network == null ? null : network.netns(), timer,
                    processes -> cgroup.set(PodCgroup.join(podId, sandboxSpec, processes).orElse(null)));
            if (network != null) {
                network.configureGuest(booted.agent(), null);
                timer.step("guest network configuration");
            }
            PodVm pod = booted.toPod(podId, network, size, cgroup.get());
            pod.start(sandboxSpec);
            timer.total("VM boot");
            return pod;
        } catch (IOException | RuntimeException e) {
            if (booted != null) {
                booted.close();
            }
            if (network != null) {
                network.detach();
            }
            if (cgroup.get() != null) {
                cgroup.get().remove();
            }
            throw e;
        }
    }

    /** A fresh pod directory: what an earlier pod of the same name left is cleaned up first. */
    static Path prepareDir(PodvisorConfig config, String name) throws IOException {
        Path podDir = PodDirs.podDir(config.runDir(), name);
        if (Files.exists(podDir, LinkOption.NOFOLLOW_LINKS)) {
            cleanup(config, name);
        }
        RunDirSpace.require(config.runDir(), name);
        PodDirs.createPrivate(podDir);
        return podDir;
    }

    /**
     * A VM up to a ready agent with the pod share mounted: what a cold pod start and a warm VM share. {@code
     * started} gets the VM's host processes as soon as they exist.
     */
    record Booted(String name, Path podDir, SharedDir shared, Virtiofsd virtiofsd, Vmm vm, AgentClient agent) {

        static Booted boot(PodvisorConfig config, String name, VmSize size, List<VmSpec.NetDevice> nets, Path netns,
                StepTimer timer, Consumer<List<ProcessHandle>> started) throws IOException {
            GuestImage image = GuestImage.load(config.imageDir()).requireAgentVersion(Versions.host());
            Path podDir = prepareDir(config, name);
            timer.step("guest image check and pod directory");
            SharedDir shared = null;
            Virtiofsd virtiofsd = null;
            Vmm vm = null;
            try {
                shared = SharedDir.create(name, PodDirs.sharedDir(podDir));
                timer.step("shared directory");
                virtiofsd = Virtiofsd.start(name, virtiofsdBinary(config), shared.path(), podDir, PodDirs.SHARE_TAG);
                timer.step("virtiofsd start");
                VmSpec spec = new VmSpec(name, image, size.vcpus(), size.memoryMiB(), podDir,
                        List.of(virtiofsd.share()), nets, netns, 3, List.of());
                vm = Hypervisors.forPods(config).create(spec);
                timer.step("VMM driver set-up");
                LOG.log(System.Logger.Level.INFO, "pod {0}: booting VM ({1} vCPUs, {2} MiB) in {3}",
                        name, spec.vcpus(), spec.memoryMiB(), podDir);
                // The VM joins the pod's cgroup as soon as QEMU runs, before the guest's memory is touched: memory is
                // charged to the cgroup of the process that first touches it, and stays there when the process moves.
                Vmm booting = vm;
                List<ProcessHandle> helpers = virtiofsd.processes();
                AgentClient agent = GuestAgent.boot(vm, config.agentReadyTimeout(), timer, () -> started.accept(
                        Stream.concat(booting.hostProcesses().stream(), helpers.stream()).toList()));
                Booted booted = new Booted(name, podDir, shared, virtiofsd, vm, agent);
                try {
                    agent.mount(PodDirs.SHARE_TAG, PodDirs.GUEST_SHARE, "virtiofs", List.of());
                } catch (AgentException e) {
                    agent.close();
                    throw e;
                }
                timer.step("pod share mount in the guest");
                return booted;
            } catch (IOException | RuntimeException e) {
                closeQuietly(vm, virtiofsd, shared, podDir);
                throw e;
            }
        }

        List<ProcessHandle> hostProcesses() {
            return Stream.concat(vm.hostProcesses().stream(), virtiofsd.processes().stream()).toList();
        }

        PodVm toPod(String podId, PodNetworking network, VmSize size, PodCgroup cgroup) {
            PodVm pod = new PodVm(podId, podDir, shared, virtiofsd, vm, agent, network, size);
            pod.cgroup = cgroup;
            return pod;
        }

        /** Stops the VM at once and removes everything; for a VM no pod has used. */
        void close() {
            agent.close();
            closeQuietly(vm, virtiofsd, shared, podDir);
        }
    }

    /** Port forwarding, the watch on the VM's host processes and the record {@code podvisor pods} reads. */
    void start(JsonNode sandboxSpec) {
        if (network != null) {
            portForwarder = network.forwardPorts(agent).orElse(null);
        }
        watchHostProcesses();
        recordInfo(sandboxSpec);
    }

    /** Leaves {@link PodInfo} in the pod directory for {@code podvisor pods}; the pod runs on without it. */
    private void recordInfo(JsonNode sandboxSpec) {
        long vmmPid = vm.hostProcesses().stream().mapToLong(ProcessHandle::pid).findFirst().orElse(0);
        try {
            PodInfo.of(podId, sandboxSpec, size, vmmPid, virtiofsd.process().handle().pid()).write(podDir);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "pod {0}: podvisor pods will not show it: cannot write {1}: {2}",
                    podId, podDir.resolve(PodInfo.FILE), e.getMessage());
        }
    }

    private static Path virtiofsdBinary(PodvisorConfig config) throws VmmException {
        return Files.isExecutable(config.virtiofsdPath()) ? config.virtiofsdPath() : Virtiofsd.findBinary();
    }

    String podId() {
        return podId;
    }

    VmSize size() {
        return size;
    }

    AgentClient agent() {
        return agent;
    }

    SharedDir shared() {
        return shared;
    }

    Vmm vm() {
        return vm;
    }

    /**
     * The pod cannot outlive the VMM or virtiofsd: when one of them dies (killed, crashed, a guest kernel panic
     * ending the VMM), the rest is stopped and the agent connection dropped, so every process of the pod ends
     * and containerd sees its containers exit and the pod go NotReady.
     */
    private void watchHostProcesses() {
        vm.hostProcesses().forEach(p -> p.onExit().thenRun(() -> died("the VMM", p)));
        virtiofsd.processes().forEach(p -> p.onExit().thenRun(() -> died("virtiofsd", p)));
    }

    private void died(String what, ProcessHandle process) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        died = true;
        // The pod's directory goes with the pod: a guest kernel's last words (a panic, a BUG) are kept in the shim's log.
        LOG.log(System.Logger.Level.ERROR, "pod {0}: {1} (pid {2}) died; ending the pod''s containers (exit status"
                + " 255); the VM log is in {3}, and its console {4} ends:\n{5}", podId, what, process.pid(), podDir,
                vm.consoleLog(), ConsoleTail.ofDeadVm(vm.consoleLog(), CONSOLE_TAIL_LINES));
        stopPortForwarding();
        agent.close();
        vm.close();
        virtiofsd.close();
    }

    private void stopPortForwarding() {
        PortForwarder forwarder = portForwarder;
        if (forwarder != null) {
            forwarder.close();
        }
    }

    /** Whether the VM died under the pod: its containers are gone with it, nothing in the guest is left to undo. */
    boolean died() {
        return died;
    }

    /**
     * Powers the guest off (agent first, VMM after a grace period), then releases everything; after the VM died
     * only the release is left.
     */
    @Override
    public void close() {
        stopPortForwarding();
        if (ended.compareAndSet(false, true)) {
            try {
                GuestAgent.powerOff(agent, vm, Duration.ofSeconds(5));
            } catch (AgentException | VmmException e) {
                LOG.log(System.Logger.Level.WARNING, "pod {0}: clean VM shutdown failed, killing it: {1}",
                        podId, e.getMessage());
            }
        }
        closeQuietly(vm, virtiofsd, shared, podDir);
        if (podLink != null) {
            RunDirs.remove(podLink);
        }
        if (network != null) {
            network.detach();
        }
        if (cgroup != null) {
            cgroup.remove();
        }
    }

    void linkAs(Path link) {
        podLink = link;
    }

    private static void closeQuietly(Vmm vm, Virtiofsd virtiofsd, SharedDir shared, Path podDir) {
        if (vm != null) {
            vm.close();
        }
        if (virtiofsd != null) {
            virtiofsd.close();
        }
        try {
            if (shared != null) {
                shared.close();
            }
        } catch (VmmException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
        RunDirs.remove(podDir);
    }

    /**
     * Releases what a killed shim left of a pod: its VMM and virtiofsd die with the shim, so what
     * remains are mounts under the shared directory and the pod directory.
     */
    static void cleanup(PodvisorConfig config, String podId) throws VmmException {
        Path link = PodDirs.podDir(config.runDir(), podId);
        Path podDir = link;
        if (Files.isSymbolicLink(link)) {
            // A pod on a warm VM: its directory is the VM's, named for the pool; the pod's name links to it.
            podDir = link.resolveSibling(readLink(link));
            RunDirs.remove(link);
        }
        String marker = podDir.toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
        SharedDir.cleanup(podId, PodDirs.sharedDir(podDir));
        RunDirs.remove(podDir);
    }

    private static Path readLink(Path link) throws VmmException {
        try {
            return Files.readSymbolicLink(link);
        } catch (IOException e) {
            throw new VmmException("cannot read the pod link " + link + ": " + e.getMessage(), e);
        }
    }
}
