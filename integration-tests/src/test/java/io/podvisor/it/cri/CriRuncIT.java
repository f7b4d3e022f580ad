package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.PodSandboxState;
import io.podvisor.proto.cri.v1.VersionRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The CRI test bed and client against containerd's default runtime (runc): proves them before podvisor. */
@Timeout(300)
class CriRuncIT {
    private static CriTestBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = CriTestBed.start(false);
    }

    @AfterAll
    static void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void versionNamesContainerd() {
        assertEquals("containerd", bed.cri().runtime().version(VersionRequest.newBuilder().setVersion("v1").build()).getRuntimeName());
    }

    @Test
    void podWithABusyboxContainerRunsOnTheHostKernelWithItsCniAddress() throws Exception {
        try (CriPod pod = CriPod.run(bed.cri(), "runc-pod", "", bed.logDir("runc-pod"))) {
            assertEquals(PodSandboxState.SANDBOX_READY, pod.status().getStatus().getState());
            String podIp = pod.status().getStatus().getNetwork().getIp();
            assertTrue(podIp.startsWith(bed.cni().subnetPrefix() + "."), "pod IP from CNI: " + podIp);

            String container = pod.startContainer("main", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));
            ExecSyncResponse uname = pod.exec(container, 60, "uname", "-r");
            assertEquals(0, uname.getExitCode(), uname.getStderr().toStringUtf8());
            assertEquals(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(), uname.getStdout().toStringUtf8().strip());
            ExecSyncResponse failing = pod.exec(container, 60, "sh", "-c", "exit 7");
            assertEquals(7, failing.getExitCode());
        }
    }
}
