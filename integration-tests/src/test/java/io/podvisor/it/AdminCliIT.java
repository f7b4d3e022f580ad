package io.podvisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.it.cri.CriPod;
import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.CriTestBedExtension;
import io.podvisor.proto.cri.v1.LinuxContainerResources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code install/podvisor pods} and {@code console}, as an admin runs them, on a CRI pod with a real VM. */
@Timeout(600)
class AdminCliIT {
    @RegisterExtension
    static final CriTestBedExtension BED = CriTestBedExtension.withPodvisor();

    @Test
    void podsListsTheRunningPodVmAndConsoleShowsItsGuestKernelBooting() throws Exception {
        long memoryLimitMib = 64;
        long vmMib = memoryLimitMib + TestVms.config().guestOverheadMemoryMiB();
        String id;
        try (CriPod pod = CriPod.run(BED.bed().cri(), "admin-cli", CriTestBed.PODVISOR_HANDLER, BED.bed().logDir("admin-cli"),
                LinuxContainerResources.newBuilder().setMemoryLimitInBytes(memoryLimitMib << 20)
                        .setCpuPeriod(100_000).setCpuQuota(100_000).build())) {
            id = pod.id();

            PodvisorCommand.Result json = PodvisorCommand.run(Map.of(), "pods", "--json");
            assertEquals(0, json.exitCode(), json.stderr());
            System.out.println("podvisor pods --json, this pod:\n" + listed(json.stdout(), id).orElse(null));
            JsonNode listed = listed(json.stdout(), id)
                    .orElseThrow(() -> new AssertionError("podvisor pods --json does not list pod " + id + ":\n"
                            + json.stdout()));
            assertEquals("running", listed.get("state").asText(), listed.toString());
            assertEquals("default", listed.get("namespace").asText());
            assertEquals("admin-cli", listed.get("name").asText());
            assertEquals(1, listed.get("vcpus").asInt());
            assertEquals(vmMib, listed.get("memory_mib").asLong());
            ProcessHandle vmm = ProcessHandle.of(listed.get("vmm_pid").asLong()).orElseThrow(
                    () -> new AssertionError("VMM pid " + listed.get("vmm_pid") + " does not run"));
            assertTrue(HostProcesses.cmdline(vmm).contains("qemu-system") && HostProcesses.cmdline(vmm).contains(id),
                    "the VMM pid is not this pod's QEMU: " + HostProcesses.cmdline(vmm));
            // QEMU + virtiofsd: tens of MiB at least; under TCG, guest RAM touched plus the translation cache, but
            // not gigabytes more than the guest has.
            long rssMib = listed.get("rss_kib").asLong() >> 10;
            long pssMib = listed.get("pss_kib").asLong() >> 10;
            assertTrue(rssMib >= 16 && rssMib < vmMib + 1024, "RSS " + rssMib + " MiB for a " + vmMib + " MiB VM");
            assertTrue(pssMib > 0 && pssMib <= rssMib, "PSS " + pssMib + " MiB, RSS " + rssMib + " MiB");
            assertTrue(listed.get("cpu_seconds").asDouble() > 0, listed.toString());
            Path podDir = Path.of(listed.get("dir").asText());
            for (Path dir : List.of(podDir.getParent(), podDir)) {
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)),
                        dir + " holds the VM's sockets and console: root alone may read it");
            }

            PodvisorCommand.Result table = PodvisorCommand.run(Map.of(), "pods");
            assertEquals(0, table.exitCode(), table.stderr());
            System.out.println("podvisor pods:\n" + table.stdout());
            assertTrue(table.stdout().lines().anyMatch(l -> l.startsWith(id.substring(0, 13))
                    && l.contains("default/admin-cli") && l.contains("running") && l.contains(vmMib + " MiB")),
                    table.stdout());

            PodvisorCommand.Result console = PodvisorCommand.run(Map.of(), "console", id.substring(0, 12));
            assertEquals(0, console.exitCode(), console.stderr());
            assertTrue(console.stdout().contains("Linux version") && console.stdout().contains("Kernel command line"),
                    "podvisor console " + id.substring(0, 12) + " did not print the guest kernel's boot lines:\n"
                            + console.stdout());
        }

        PodvisorCommand.Result after = PodvisorCommand.run(Map.of(), "pods", "--json");
        assertEquals(0, after.exitCode(), after.stderr());
        assertEquals(Optional.empty(), listed(after.stdout(), id), "a removed pod is still listed");
        PodvisorCommand.Result gone = PodvisorCommand.run(Map.of(), "console", id);
        assertEquals(1, gone.exitCode(), gone.stdout() + gone.stderr());
        assertTrue(gone.stderr().contains("no pod VM on this node matches '" + id + "'")
                && gone.stderr().contains("podvisor pods"), gone.stderr());
    }

    private static Optional<JsonNode> listed(String json, String podId) throws Exception {
        return StreamSupport.stream(new ObjectMapper().readTree(json).spliterator(), false)
                .filter(p -> podId.equals(p.path("id").asText())).findFirst();
    }
}
