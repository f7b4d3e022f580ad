package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.HostProcesses;
import io.podvisor.proto.cri.v1.ContainerState;
import io.podvisor.proto.cri.v1.ContainerStatus;
import io.podvisor.proto.cri.v1.PodSandboxState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A pod whose VM, virtiofsd or shim dies under it, through containerd's CRI: the containers show EXITED with a
 * reason, the pod goes NotReady, and stop and remove leave nothing behind.
 */
@Timeout(600)
class CriFaultsIT {
    /** How long the CRI may take to show a container of a dead VM as exited (the goal is 5 s, TCG CI is slower). */
    private static final Duration EXIT_SEEN = Duration.ofSeconds(20);

    @RegisterExtension
    static final CriTestBedExtension BED = CriTestBedExtension.withPodvisor();

    @Test
    void killedQemuEndsThePodsContainersAndLeavesNothingAfterRemoval() throws Exception {
        assertPodEndsWhenKilled("qemu-killed", "qemu-system", cmdline -> cmdline.contains("qemu-system"));
    }

    @Test
    void killedVirtiofsdEndsThePodsContainersAndLeavesNothingAfterRemoval() throws Exception {
        assertPodEndsWhenKilled("virtiofsd-killed", "virtiofsd", cmdline -> cmdline.contains("virtiofsd"));
    }

    /**
     * Each pod has a shim of its own: killing one ends that pod only; a pod beside it keeps its VM and container and
     * stays controllable through the CRI.
     */
    @Test
    void killedShimEndsItsOwnPodOnlyAndLeavesNothingAfterRemoval() throws Exception {
        String bystanderId;
        Path bystanderNetns;
        EndedPod killed;
        try (CriPod bystander = CriPod.run(BED.bed().cri(), "shim-bystander", CriTestBed.PODVISOR_HANDLER,
                BED.bed().logDir("shim-bystander"))) {
            bystanderId = bystander.id();
            bystanderNetns = bystander.netnsPath();
            String app = bystander.startContainer("app", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));
            String bootId = CriPod.stdoutOf(bystander.exec(app, 120, "cat", "/proc/sys/kernel/random/boot_id"));

            killed = runAndKill("shim-killed", "shim", HostProcesses::isShim);

            assertEquals(PodSandboxState.SANDBOX_READY, bystander.status().getStatus().getState());
            assertEquals(ContainerState.CONTAINER_RUNNING, bystander.containerStatus(app).getState());
            assertEquals(bootId, CriPod.stdoutOf(bystander.exec(app, 120, "cat", "/proc/sys/kernel/random/boot_id")),
                    "the pod beside the killed shim's keeps its VM");
            bystander.stopContainer(app, 10);
            assertEquals(ContainerState.CONTAINER_EXITED, bystander.containerStatus(app).getState());
            bystander.removeContainer(app);
        }
        PodLeftovers.assertNoneOf(killed.id(), killed.netns(), BED.bed().cni());
        PodLeftovers.assertNoneOf(bystanderId, bystanderNetns, BED.bed().cni());
    }


    /**
     * A guest kernel panic (a privileged container crashes the guest through sysrq) ends the pod as a killed QEMU
     * does, and the guest's last console lines are in the shim's log, which outlives the pod's directory.
     */
    @Test
    void aGuestKernelPanicEndsThePodsContainersAndTheShimLogKeepsTheConsole() throws Exception {
        String podId;
        Path netns;
        try (CriPod pod = CriPod.runPrivileged(BED.bed().cri(), "guest-panic", CriTestBed.PODVISOR_HANDLER,
                BED.bed().logDir("guest-panic"))) {
            podId = pod.id();
            netns = pod.netnsPath();
            String bystander = pod.startContainer("bystander", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));
            pod.startContainer(CriPod.privileged(CriPod.container("crasher", CriTestBed.BUSYBOX_IMAGE,
                    List.of("sh", "-c", "sleep 1; echo c > /proc/sysrq-trigger"))));
            ContainerStatus status = await(pod, bystander, s -> s.getState() == ContainerState.CONTAINER_EXITED);
            assertTrue(status.getExitCode() != 0, "a container whose VM died did not succeed: " + status);
            assertFalse(status.getReason().isEmpty(), "the CRI names why the container ended: " + status);
            awaitPod(pod, PodSandboxState.SANDBOX_NOTREADY);
        }
        PodLeftovers.assertNoneOf(podId, netns, BED.bed().cni());
        String log = Files.readString(BED.bed().containerd().logFile());
        int died = log.indexOf("pod " + podId + ": ");
        assertTrue(log.contains("died; ending the pod's containers") && log.contains("Kernel panic - not syncing"),
                "the shim's log shows the VM's end and the guest's panic:\n" + log.substring(Math.max(0, died)));
    }

    private record EndedPod(String id, Path netns) {}

    private static void assertPodEndsWhenKilled(String name, String victimCommand, Predicate<String> isVictim)
            throws Exception {
        EndedPod pod = runAndKill(name, victimCommand, isVictim);
        PodLeftovers.assertNoneOf(pod.id(), pod.netns(), BED.bed().cni());
    }

    /** Runs a pod of two containers, kills its {@code victimCommand} and waits for the CRI to show the pod ended. */
    private static EndedPod runAndKill(String name, String victimCommand, Predicate<String> isVictim)
            throws Exception {
        String podId;
        Path netns;
        try (CriPod pod = CriPod.run(BED.bed().cri(), name, CriTestBed.PODVISOR_HANDLER, BED.bed().logDir(name))) {
            podId = pod.id();
            netns = pod.netnsPath();
            String a = pod.startContainer("a", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));
            String b = pod.startContainer("b", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));
            List<ProcessHandle> victims = HostProcesses.mentioning(podId).stream()
                    .filter(p -> isVictim.test(HostProcesses.cmdline(p))).toList();
            assertFalse(victims.isEmpty(), "no " + victimCommand + " process mentions pod " + podId);

            long killed = System.nanoTime();
            victims.forEach(ProcessHandle::destroyForcibly);
            for (String container : List.of(a, b)) {
                ContainerStatus status = await(pod, container, s -> s.getState() == ContainerState.CONTAINER_EXITED);
                System.out.printf("%s: container %s EXITED %d ms after %s was killed: exit code %d, reason %s, %s%n",
                        name, status.getMetadata().getName(), (System.nanoTime() - killed) / 1_000_000, victimCommand,
                        status.getExitCode(), status.getReason(), status.getMessage());
                assertTrue(status.getExitCode() != 0, "a container whose VM died did not succeed: " + status);
                assertFalse(status.getReason().isEmpty(), "the CRI names why the container ended: " + status);
            }
            awaitPod(pod, PodSandboxState.SANDBOX_NOTREADY);
        }
        return new EndedPod(podId, netns);
    }

    private static ContainerStatus await(CriPod pod, String container, Predicate<ContainerStatus> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + EXIT_SEEN.toNanos();
        ContainerStatus status = pod.containerStatus(container);
        while (!condition.test(status)) {
            assertTrue(System.nanoTime() < deadline, "after " + EXIT_SEEN.toSeconds() + " s: " + status
                    + "\ncontainerd's log ends:\n" + BED.bed().containerd().logTail());
            Thread.sleep(100);
            status = pod.containerStatus(container);
        }
        return status;
    }

    private static void awaitPod(CriPod pod, PodSandboxState state) throws InterruptedException {
        long deadline = System.nanoTime() + EXIT_SEEN.toNanos();
        while (pod.status().getStatus().getState() != state) {
            assertTrue(System.nanoTime() < deadline, "pod state after " + EXIT_SEEN.toSeconds() + " s: "
                    + pod.status().getStatus().getState());
            Thread.sleep(100);
        }
        assertEquals(state, pod.status().getStatus().getState());
    }
}
