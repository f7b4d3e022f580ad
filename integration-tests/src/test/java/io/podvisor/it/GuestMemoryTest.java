package io.podvisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.Vmm;
import io.podvisor.it.bench.ProcessMemory;
import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.GuestAgent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a guest's memory lives on the host: the runtime image mapped from the host's page cache (pmem with
 * DAX) instead of copied into guest RAM, and the RAM a guest frees handed back (free page reporting).
 */
@Timeout(300)
class GuestMemoryTest {
    private static final long MIB = 1024;

    @TempDir
    Path tmp;

    @Test
    void runtimeImageIsMappedFromTheHostsPageCacheAndFreedGuestMemoryGoesBack() throws Exception {
        try (Vmm vm = TestVms.create("guest-memory-test", tmp.resolve("vm"), List.of());
                AgentClient agent = GuestAgent.boot(vm, TestVms.config().agentReadyTimeout())) {
            assertEquals("/dev/pmem0 /opt/podvisor erofs dax=always", run(agent,
                    "awk '$2 == \"/opt/podvisor\" {print $1, $2, $3, ($4 ~ /dax=always/ ? \"dax=always\" : $4)}'"
                            + " /proc/mounts").strip());
            long pageCacheKiB = Long.parseLong(run(agent,
                    "awk '/^Cached:/ {c = $2} /^Shmem:/ {s = $2} END {print c - s}' /proc/meminfo").strip());
            assertTrue(pageCacheKiB < 8 * MIB, "the agent runs from the runtime disk, whose files DAX maps from the"
                    + " host, yet the guest's page cache holds " + pageCacheKiB / MIB + " MiB of files (a file that"
                    + " erofs cannot map: its tail packed inline, or compressed)");
            long qemu = vm.hostProcesses().getFirst().pid();
            String image = TestVms.image().runtimeDisk().toRealPath().toString();
            assertTrue(Files.readAllLines(Path.of("/proc", Long.toString(qemu), "maps")).stream()
                            .anyMatch(line -> line.endsWith(image) && line.split(" +")[1].equals("r--s")),
                    "QEMU maps " + image + " shared and read-only, so every VM maps the same host pages");

            long before = touchedKiB(qemu);
            run(agent, "dd if=/dev/zero of=/tmp/fill bs=1M count=100 2>/dev/null; sync");
            long filled = touchedKiB(qemu);
            assertTrue(filled - before > 80 * MIB, "100 MiB written to the guest's tmpfs: guest RAM touched went from "
                    + before / MIB + " to " + filled / MIB + " MiB");
            run(agent, "rm /tmp/fill");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long after = touchedKiB(qemu);
            while (filled - after < 64 * MIB && System.nanoTime() < deadline) {
                Thread.sleep(500);
                after = touchedKiB(qemu);
            }
            System.out.printf("guest RAM touched: %d MiB before, %d MiB with 100 MiB in tmpfs, %d MiB after it was"
                    + " freed%n", before / MIB, filled / MIB, after / MIB);
            assertTrue(filled - after >= 64 * MIB, "the guest freed 100 MiB but the host got back only "
                    + (filled - after) / MIB + " MiB within 30 s (" + before / MIB + " -> " + filled / MIB + " -> "
                    + after / MIB + " MiB)");
        }
    }

    @Test
    void virtioBlkRuntimeDiskWhenTheConfigAsksForIt() throws Exception {
        try (Vmm vm = TestVms.create("guest-blk-test", tmp.resolve("vm"), List.of(),
                        TestVms.configWith("runtime_disk = \"virtio-blk\"", tmp));
                AgentClient agent = GuestAgent.boot(vm, TestVms.config().agentReadyTimeout())) {
            assertEquals("/dev/vda /opt/podvisor erofs", run(agent,
                    "awk '$2 == \"/opt/podvisor\" {print $1, $2, $3}' /proc/mounts").strip());
        }
    }

    /** Guest RAM the VMM has touched: its resident shared memory (the guest's memfd RAM). */
    private static long touchedKiB(long qemu) throws IOException {
        return ProcessMemory.of(qemu).rssShmemKiB();
    }

    private static String run(AgentClient agent, String script) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProcessExit exit = agent.run(ProcessStart.newBuilder().addAllArgs(List.of("sh", "-c", script)).setCwd("/")
                .build(), new ByteArrayInputStream(new byte[0]), out, err);
        assertEquals(0, exit.getExitCode(), script + ": " + err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
