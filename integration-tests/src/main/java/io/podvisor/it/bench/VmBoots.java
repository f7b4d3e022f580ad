package io.podvisor.it.bench;

import io.podvisor.cli.ThrowawayVm;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.io.PrintStream;

/**
 * Boots bare VMs one after another (as the shim boots a pod's VM, without pod network or share):
 * VMM start to agent ready, then hybrid vsock round trips and throughput on the same VM. The
 * vsock backend runs in this JVM here, as it runs in the shim's JVM for pods.
 */
final class VmBoots {
    private VmBoots() {}

    static void measure(PodvisorConfig config, int boots, Results results, PrintStream progress) throws IOException {
        for (int i = 1; i <= boots; i++) {
            try (ThrowawayVm vm = ThrowawayVm.create(config, null, null, null)) {
                long start = System.nanoTime();
                AgentClient agent = vm.boot(config.agentReadyTimeout());
                double seconds = (System.nanoTime() - start) / 1e9;
                results.add(Measure.VM_START, Results.PODVISOR, seconds);
                progress.printf("VM %d/%d: agent ready after %.2f s%n", i, boots, seconds);
                VsockProbe.measure(agent, results);
            }
        }
    }
}
