package io.podvisor.shim.agent;

import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.shim.StepTimer;
import java.time.Duration;

/** Boots a VM and hands back a client for its guest agent once the agent announced itself. */
public final class GuestAgent {
    private GuestAgent() {}

    /**
     * Asks the agent to power the guest off and waits up to {@code grace} for the VMM to stop (it
     * is stopped by force after that); closes the client either way. The caller still closes the VM.
     */
    public static void powerOff(AgentClient agent, Vmm vm, Duration grace) throws AgentException, VmmException {
        try {
            agent.shutdown();
            vm.stop(grace);
        } finally {
            agent.close();
        }
    }

    public static AgentClient boot(Vmm vm, Duration timeout) throws VmmException {
        return boot(vm, timeout, StepTimer.start(vm.spec().name(), "VM " + vm.spec().name()), () -> { });
    }

    /**
     * As {@link #boot(Vmm, Duration)}, timing the VMM's start and the agent's readiness on {@code timer}, and
     * running {@code started} as soon as the VMM's processes exist.
     */
    public static AgentClient boot(Vmm vm, Duration timeout, StepTimer timer, Runnable started) throws VmmException {
        String name = vm.spec().name();
        String version;
        try (AgentReadiness readiness = AgentReadiness.listen(vm)) {
            vm.boot();
            timer.step("VMM start (with its vsock backend)");
            started.run();
            version = readiness.await(vm, timeout);
            timer.step("guest boot to agent ready");
        }
        if (!version.equals(Versions.host())) {
            throw new VmmException("VM " + name + ": its guest agent is version " + version
                    + " but this podvisor is version " + Versions.host()
                    + ": rebuild the guest image with rootfs-builder/build.sh");
        }
        AgentClient agent = AgentClient.connect(name, vm.vsockSocket());
        timer.step("agent connection");
        return agent;
    }
}
