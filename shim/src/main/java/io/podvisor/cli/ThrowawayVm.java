package io.podvisor.cli;

import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.AgentException;
import io.podvisor.shim.agent.GuestAgent;
import io.podvisor.shim.agent.Versions;
import io.podvisor.shim.config.Hypervisors;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.config.RunDirs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A VM that lives as long as one CLI command: its run directory is named after this process so
 * a later command can sweep what a killed one left, and a shutdown hook tears it down on Ctrl-C.
 */
public final class ThrowawayVm implements AutoCloseable {
    private final Vmm vm;
    private final Path runDir;
    private final Thread hook;
    private AgentClient agent;
    private boolean closed;

    private ThrowawayVm(Vmm vm, Path runDir) {
        this.vm = vm;
        this.runDir = runDir;
        this.hook = new Thread(this::close, "vm-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static ThrowawayVm create(PodvisorConfig config, VmOptions options) throws IOException {
        return create(config, options.hypervisor(), options.cpus(), options.memoryMiB());
    }

    /** A VM sized by the arguments, or by {@code config} where they are null; not booted yet. */
    public static ThrowawayVm create(PodvisorConfig config, String hypervisor, Integer cpus, Long memoryMiB)
            throws IOException {
        GuestImage image = GuestImage.load(config.imageDir()).requireAgentVersion(Versions.host());
        Path runDir = RunDirs.forThisProcess(config.runDir().resolve("vm"));
        try {
            VmSpec spec = VmSpec.simple("vm-" + runDir.getFileName(), image,
                    cpus != null ? cpus : config.defaultVcpus(),
                    memoryMiB != null ? memoryMiB : config.defaultMemoryMiB(), runDir);
            return new ThrowawayVm(Hypervisors.select(config, hypervisor).create(spec), runDir);
        } catch (IOException | RuntimeException e) {
            RunDirs.remove(runDir);
            throw e;
        }
    }

    public AgentClient boot(Duration timeout) throws VmmException {
        agent = GuestAgent.boot(vm, timeout);
        return agent;
    }

    public Vmm vm() {
        return vm;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (agent != null) {
            try {
                GuestAgent.powerOff(agent, vm, Duration.ofSeconds(5));
            } catch (AgentException | VmmException e) {
                // the VM is killed below either way
            }
        }
        vm.close();
        RunDirs.remove(runDir);
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is already running or done
            }
        }
    }
}
