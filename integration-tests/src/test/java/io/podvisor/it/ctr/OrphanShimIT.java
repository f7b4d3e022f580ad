package io.podvisor.it.ctr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.Checkout;
import io.podvisor.it.HostProcesses;
import io.podvisor.it.containerd.ContainerdHarness;
import io.podvisor.it.containerd.Ctr;
import io.podvisor.it.containerd.OciImages;
import io.podvisor.it.cri.PodLeftovers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pod's VM dies while its containerd is gone (killed, not restarted): the shim, which has nothing left to serve,
 * waits the orphan time for a containerd to connect again, then ends and cleans up; the containerd that comes back
 * finds the shim gone and the task can be removed, leaving nothing. On containerd 1.7, with the tests' shim.
 */
@Timeout(300)
class OrphanShimIT {
    private static final String RUNTIME = "io.containerd.podvisor.v2";
    private static final String IMAGE = "docker.io/podvisor/busybox:orphan";
    private static final String ID = "pv-orphan-vm";
    private static final Duration ORPHAN_WAIT = Duration.ofSeconds(10);

    @Test
    void aShimWhoseVmDiedWhileNoContainerdWasConnectedEndsAndTheNextContainerdCleansUp() throws Exception {
        ContainerdHarness.Options options = ContainerdHarness.Options.defaults().withPathFirst(Checkout.shimDir())
                .withEnv("PODVISOR_SHIM_ORPHAN_SECONDS", Long.toString(ORPHAN_WAIT.toSeconds()));
        try (ContainerdHarness containerd = ContainerdHarness.start(options)) {
            Ctr ctr = containerd.ctr("podvisor-orphan-it");
            OciImages.importBusybox(ctr, containerd.dir(), IMAGE, List.of("sh"));
            ctr.run("run", "-d", "--runtime", RUNTIME, IMAGE, ID, "sleep", "1000").orThrow();
            List<ProcessHandle> shim = HostProcesses.shimsMentioning(ID);
            List<ProcessHandle> qemu = HostProcesses.mentioning(ID).stream()
                    .filter(p -> HostProcesses.cmdline(p).contains("qemu-system")).toList();
            assertFalse(shim.isEmpty(), "no shim process of " + ID);
            assertFalse(qemu.isEmpty(), "no QEMU process of " + ID);

            ProcessHandle.of(containerd.pid()).ifPresent(ProcessHandle::destroyForcibly);
            ProcessHandle.of(containerd.pid()).ifPresent(p -> p.onExit().join());
            long vmKilled = System.nanoTime();
            for (ProcessHandle vmm : qemu) {
                vmm.destroyForcibly();
                vmm.onExit().get(30, TimeUnit.SECONDS);
            }

            Thread.sleep(ORPHAN_WAIT.toMillis() / 2);
            assertTrue(shim.stream().allMatch(ProcessHandle::isAlive),
                    "the shim waits for a containerd before it gives up on its dead VM");
            for (ProcessHandle process : shim) {
                process.onExit().get(60, TimeUnit.SECONDS);
            }
            long endedAfter = Duration.ofNanos(System.nanoTime() - vmKilled).toSeconds();
            assertTrue(endedAfter >= ORPHAN_WAIT.toSeconds(), "ended " + endedAfter + " s after its VM died");
            assertEquals(List.of(), HostProcesses.shimsMentioning(ID), "no shim of " + ID + " is left");

            containerd.restart();
            assertFalse(ctr.taskShows(ID, "RUNNING"),
                    "containerd does not see a dead pod's task running: " + ctr.run("tasks", "list"));
            ctr.run("tasks", "delete", "--force", ID);
            assertEquals(0, ctr.run("containers", "delete", ID).exitCode(), containerd.logTail());
            PodLeftovers.assertNoPodAnywhere();
        }
    }
}
