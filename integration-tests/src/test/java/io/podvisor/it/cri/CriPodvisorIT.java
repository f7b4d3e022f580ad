package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.PodSandboxState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A pod with runtime handler "podvisor" through containerd's CRI: the sandbox is a VM. */
@Timeout(600)
class CriPodvisorIT {
    private static CriTestBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = CriTestBed.start(true);
    }

    @AfterAll
    static void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void containerOfAPodvisorPodRunsOnTheGuestKernel() throws Exception {
        try (CriPod pod = CriPod.run(bed.cri(), "vm-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("vm-pod"))) {
            assertEquals(PodSandboxState.SANDBOX_READY, pod.status().getStatus().getState());
            String container = pod.startContainer("main", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));

            ExecSyncResponse uname = pod.exec(container, 120, "uname", "-r");
            assertEquals(0, uname.getExitCode(), uname.getStderr().toStringUtf8() + "\n" + bed.containerd().logTail());
            String guestRelease = uname.getStdout().toStringUtf8().strip();
            assertTrue(guestRelease.endsWith("-cloud-amd64"), "guest kernel: " + guestRelease);
            assertNotEquals(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(), guestRelease);
            ExecSyncResponse failing = pod.exec(container, 120, "sh", "-c", "echo out; exit 7");
            assertEquals(7, failing.getExitCode());
            assertEquals("out\n", failing.getStdout().toStringUtf8());
        }
    }
}
