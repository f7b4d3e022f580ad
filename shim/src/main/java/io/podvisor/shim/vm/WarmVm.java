package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.podvisor.hypervisor.net.WarmTap;
import io.podvisor.shim.StepTimer;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.config.RunDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A VM of the warm pool: booted before any pod asks for it, its agent ready and the share mounted, its TAP waiting in
 * a namespace of its own. {@link #claim} makes it a pod's VM: the TAP moves into the pod's network namespace, the
 * guest NIC takes the pod's MAC and address, the VM's processes join the pod's cgroup, and the pod's name in the
 * pods directory links to the VM's directory.
 */
final class WarmVm implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WarmVm.class.getName());

    private final PodvisorConfig config;
    private final VmSize size;
    private final WarmTap tap;
    private final PodVm.Booted booted;
    private final Instant ready = Instant.now();

    private WarmVm(PodvisorConfig config, VmSize size, WarmTap tap, PodVm.Booted booted) {
        this.config = config;
        this.size = size;
        this.tap = tap;
        this.booted = booted;
    }

    /** Boots VM {@code name} of {@code size}; on failure nothing is left. */
    static WarmVm boot(PodvisorConfig config, String name, VmSize size) throws IOException {
        StepTimer timer = StepTimer.start(name, "warm VM " + name);
        WarmTap tap = WarmTap.create(name);
        try {
            PodVm.Booted booted = PodVm.Booted.boot(config, name, size, List.of(tap.device()), tap.netns(), timer,
                    processes -> { });
            timer.total("VM boot");
            return new WarmVm(config, size, tap, booted);
        } catch (IOException | RuntimeException e) {
            tap.close();
            throw e;
        }
    }

    String name() {
        return booted.name();
    }

    VmSize size() {
        return size;
    }

    /** The VMM's and virtiofsd's processes: the warm VM is gone when one of them ends. */
    List<ProcessHandle> hostProcesses() {
        return booted.hostProcesses();
    }

    /** The pod's VM from this one; on failure the warm VM is gone too (its guest may be half configured). */
    PodVm claim(String podId, JsonNode sandboxSpec) throws IOException {
        StepTimer timer = StepTimer.start(podId, "pod " + podId + " start on warm VM " + name());
        LOG.log(System.Logger.Level.INFO, "pod {0}: takes warm VM {1} ({2} vCPUs, {3} MiB), ready for {4} s", podId,
                name(), size.vcpus(), size.memoryMiB(), Duration.between(ready, Instant.now()).toSeconds());
        PodNetworking network = null;
        PodCgroup cgroup = null;
        Path link = PodDirs.podDir(config.runDir(), podId);
        try {
            Optional<Path> netns = PodNetworking.netnsOf(sandboxSpec);
            if (netns.isPresent()) {
                network = PodNetworking.adopt(podId, tap, netns.get(), sandboxSpec);
                timer.step("network (the warm TAP moved into the pod's network namespace)");
                network.configureGuest(booted.agent(), tap.mac());
                timer.step("guest network configuration");
            } else {
                tap.close();
            }
            cgroup = PodCgroup.join(podId, sandboxSpec, booted.hostProcesses()).orElse(null);
            RunDirs.remove(link);
            Files.createSymbolicLink(link, link.getParent().relativize(booted.podDir()));
            PodVm pod = booted.toPod(podId, network, size, cgroup);
            pod.linkAs(link);
            pod.start(sandboxSpec);
            timer.total("warm VM claim");
            return pod;
        } catch (IOException | RuntimeException e) {
            close();
            RunDirs.remove(link);
            if (network != null) {
                network.detach();
            }
            if (cgroup != null) {
                cgroup.remove();
            }
            throw e;
        }
    }

    /** Stops the VM at once and removes what it stood on; for a VM no pod took. */
    @Override
    public void close() {
        booted.close();
        tap.close();
    }
}
