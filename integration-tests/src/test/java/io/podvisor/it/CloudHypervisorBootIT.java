package io.podvisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.HypervisorSelection;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmState;
import io.podvisor.hypervisor.cloudhypervisor.CloudHypervisor;
import io.podvisor.hypervisor.cloudhypervisor.CloudHypervisorVm;
import io.podvisor.proto.agent.v1.GuestInfo;
import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.GuestAgent;
import io.podvisor.shim.agent.Versions;
import io.podvisor.shim.config.Hypervisors;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real pod VM under Cloud Hypervisor, its agent reached over Cloud Hypervisor's own hybrid
 * vsock. Cloud Hypervisor needs its binary and a KVM that boots the guest; where either is
 * missing the test is skipped and says which (the QEMU tests cover the pod path there).
 */
@Timeout(300)
class CloudHypervisorBootIT {
    @TempDir
    Path runDir;

    @Test
    void podVmBootsUnderCloudHypervisorAndItsAgentAnswersOverHybridVsock() throws Exception {
        PodvisorConfig config = TestVms.config();
        HypervisorSelection ch = Hypervisors.selection(config, HypervisorSelection.CLOUD_HYPERVISOR);
        Assumptions.assumeTrue(ch.usable(), () -> "Cloud Hypervisor cannot run on this host: " + ch.problem());

        VmSpec spec = new VmSpec("ch-boot-it", TestVms.image(), 2, config.defaultMemoryMiB(), runDir,
                List.of(), List.of(), null, 3, List.of());
        try (CloudHypervisorVm vm = new CloudHypervisor(ch.cloudHypervisorBinary(), "auto").create(spec)) {
            assertEquals(VmState.CREATED, vm.state());
            try (AgentClient agent = GuestAgent.boot(vm, config.agentReadyTimeout())) {
                assertEquals(VmState.RUNNING, vm.state());
                GuestInfo info = agent.guestInfo();
                assertEquals(Versions.host(), info.getAgentVersion());
                assertEquals(2, info.getCpus());
                assertTrue(info.getMemoryTotalBytes() <= spec.memoryMiB() << 20,
                        "guest memory " + info.getMemoryTotalBytes());

                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ProcessExit exit = agent.run(ProcessStart.newBuilder().addAllArgs(List.of("sh", "-c", "cat; exit 3"))
                                .setCwd("/").build(),
                        new ByteArrayInputStream("over hybrid vsock\n".getBytes(StandardCharsets.UTF_8)), out,
                        new ByteArrayOutputStream());
                assertEquals(3, exit.getExitCode());
                assertEquals("over hybrid vsock\n", out.toString(StandardCharsets.UTF_8));
            }
            vm.stop(Duration.ofSeconds(10));
            assertEquals(VmState.SHUTDOWN, vm.state());
            assertEquals(List.of(), vm.hostProcesses());
        }
    }
}
