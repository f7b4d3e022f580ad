package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.PodSandboxState;
import io.podvisor.proto.cri.v1.VersionRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The CRI test bed and client against containerd's default runtime (runc): proves them before podvisor. */
@Timeout(300)
class CriRuncIT {
    @RegisterExtension
    static final CriTestBedExtension BED = CriTestBedExtension.runcOnly();

    @Test
    void versionNamesContainerd() {
        assertEquals("containerd", BED.bed().cri().runtime().version(VersionRequest.newBuilder().setVersion("v1").build()).getRuntimeName());
    }

    @Test
    void podWithABusyboxContainerRunsOnTheHostKernelWithItsCniAddress() throws Exception {
        try (CriPod pod = CriPod.run(BED.bed().cri(), "runc-pod", "", BED.bed().logDir("runc-pod"))) {
            assertEquals(PodSandboxState.SANDBOX_READY, pod.status().getStatus().getState());
            String podIp = pod.status().getStatus().getNetwork().getIp();
            assertTrue(podIp.startsWith(BED.bed().cni().subnetPrefix() + "."), "pod IP from CNI: " + podIp);

            String container = pod.startContainer("main", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));
            ExecSyncResponse uname = pod.exec(container, 60, "uname", "-r");
            assertEquals(0, uname.getExitCode(), uname.getStderr().toStringUtf8());
            assertEquals(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(), uname.getStdout().toStringUtf8().strip());
            ExecSyncResponse failing = pod.exec(container, 60, "sh", "-c", "exit 7");
            assertEquals(7, failing.getExitCode());
        }
    }
}
