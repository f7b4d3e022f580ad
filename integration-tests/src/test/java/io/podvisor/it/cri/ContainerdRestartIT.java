package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import io.podvisor.it.containerd.ContainerdRelease;
import io.podvisor.proto.cri.v1.ContainerState;
import io.podvisor.proto.cri.v1.ContainerStats;
import io.podvisor.proto.cri.v1.ContainerStatus;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.PodSandboxState;
import io.podvisor.proto.cri.v1.VersionRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * containerd restarts (an upgrade, a crash, {@code systemctl restart containerd}) while a podvisor pod runs:
 * the pod's VM and container keep running, and once containerd is back the pod answers exec, stats, stop
 * and remove through the CRI as before. On containerd 1.7 and 2.1.
 */
@Timeout(600)
@ParameterizedClass
@EnumSource(ContainerdRelease.class)
class ContainerdRestartIT {
    private static final long EXEC_TIMEOUT = 120;

    @Parameter
    ContainerdRelease release;

    @Test
    void aRunningPodKeepsRunningAndStaysControllableAfterContainerdRestarts() throws Exception {
        try (CriTestBed bed = CriTestBed.start(release, true)) {
            String podId;
            Path netns;
            try (CriPod pod = CriPod.run(bed.cri(), "restart-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("restart-pod"))) {
                podId = pod.id();
                netns = pod.netnsPath();
                String app = pod.startContainer("app", CriTestBed.BUSYBOX_IMAGE, List.of("sh", "-c",
                        "trap 'exit 0' TERM; while :; do sleep 600 & wait; done"));
                String bootId = CriPod.stdoutOf(pod.exec(app, EXEC_TIMEOUT, "cat", "/proc/sys/kernel/random/boot_id"));
                String initStart = CriPod.stdoutOf(pod.exec(app, EXEC_TIMEOUT, "cut", "-d", " ", "-f", "22", "/proc/1/stat"));
                assertShimProtocol(bed, podId);

                bed.containerd().restart();
                awaitCri(bed);

                assertEquals(PodSandboxState.SANDBOX_READY, pod.status().getStatus().getState());
                assertEquals(ContainerState.CONTAINER_RUNNING, pod.containerStatus(app).getState());
                assertEquals(bootId, CriPod.stdoutOf(pod.exec(app, EXEC_TIMEOUT, "cat", "/proc/sys/kernel/random/boot_id")),
                        "the same VM, not a new one");
                assertEquals(initStart, CriPod.stdoutOf(pod.exec(app, EXEC_TIMEOUT, "cut", "-d", " ", "-f", "22", "/proc/1/stat")),
                        "the same container process (its start time)");
                ExecSyncResponse failing = pod.exec(app, EXEC_TIMEOUT, "sh", "-c", "echo out; exit 5");
                assertEquals(5, failing.getExitCode());
                assertEquals("out\n", failing.getStdout().toStringUtf8());
                ContainerStats stats = pod.stats(app);
                assertTrue(stats.getMemory().getWorkingSetBytes().getValue() > 0, "stats after the restart: " + stats);

                long stopStart = System.nanoTime();
                pod.stopContainer(app, 30);
                long stopSeconds = (System.nanoTime() - stopStart) / 1_000_000_000L;
                ContainerStatus stopped = pod.containerStatus(app);
                assertEquals(ContainerState.CONTAINER_EXITED, stopped.getState(), stopped.toString());
                assertEquals(0, stopped.getExitCode(), "the container's TERM trap exits 0: " + stopped);
                assertTrue(stopSeconds < 30, "stopped by TERM, not by KILL after the grace period: " + stopSeconds + " s");
                pod.removeContainer(app);
                assertEquals(List.of(), pod.containers());
            }
            PodLeftovers.assertNoneOf(podId, netns, bed.cni());
        }
    }

    /** containerd 2.x speaks the Task API v3 to the shim (its bootstrap.json), 1.7 speaks v2 (its address file). */
    private void assertShimProtocol(CriTestBed bed, String podId) throws Exception {
        Path bundle = bed.containerd().dir().resolve("state/io.containerd.runtime.v2.task/k8s.io").resolve(podId);
        if (release == ContainerdRelease.V1_7) {
            assertTrue(Files.readString(bundle.resolve("address")).startsWith("unix:///"), bundle.toString());
        } else {
            String bootstrap = Files.readString(bundle.resolve("bootstrap.json"), StandardCharsets.UTF_8);
            assertTrue(bootstrap.contains("\"version\":3") && bootstrap.contains("\"protocol\":\"ttrpc\""), bootstrap);
        }
    }

    /** Returns once containerd's CRI answers again after the restart (the client reconnects). */
    private static void awaitCri(CriTestBed bed) {
        try {
            bed.cri().runtime().withWaitForReady().version(VersionRequest.newBuilder().setVersion("v1").build());
        } catch (StatusRuntimeException e) {
            throw new AssertionError("containerd's CRI does not answer after its restart: " + e.getStatus()
                    + "\n" + bed.containerd().logTail(), e);
        }
    }

}
