package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import io.podvisor.it.HostProcesses;
import io.podvisor.it.containerd.ContainerdRelease;
import io.podvisor.proto.cri.v1.ListPodSandboxRequest;
import io.podvisor.proto.cri.v1.PodSandboxState;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The podvisor runtime's {@code options} table in containerd's config, as an admin writes it: a key podvisor
 * does not know fails the pod at once, naming the key, before any shim or VM starts. On containerd 1.7 and 2.1.
 */
@Timeout(300)
@ParameterizedClass
@EnumSource(ContainerdRelease.class)
class CriRuntimeOptionsIT {
    @Parameter
    ContainerdRelease release;

    @Test
    void anUnknownRuntimeOptionIsNamedWhenAPodStarts() throws Exception {
        String options = "[" + release.runtimesSection() + ".podvisor.options]\n  MemoryMiB = 512\n";
        try (CriTestBed bed = CriTestBed.start(release, true, options)) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> CriPod.run(bed.cri(),
                    "optioned-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("optioned-pod")));
            String message = refused.getStatus().getDescription();
            assertTrue(message.contains("unknown runtime option MemoryMiB") && message.contains("ConfigPath"), message);
            assertEquals(List.of(), bed.cri().runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
                    .getItemsList().stream().filter(p -> p.getState() == PodSandboxState.SANDBOX_READY).toList());
            // Nothing of the pod: no container in containerd, no shim started for this containerd (so no VM).
            assertEquals("", bed.containerd().ctr("k8s.io").run("containers", "list", "--quiet").stdout());
            assertEquals(List.of(), HostProcesses.mentioning("-address " + bed.containerd().address()).stream()
                    .map(HostProcesses::cmdline).toList());
        }
    }
}
