package io.podvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.shim.vm.PodInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodsCommandTest {
    private static final String SMAPS_ROLLUP = """
            55a4c0a00000-7ffd5b7f6000 ---p 00000000 00:00 0                          [rollup]
            Rss:              153600 kB
            Pss:              120345 kB
            Pss_Anon:          98000 kB
            Shared_Clean:      30000 kB
            Swap:                  0 kB
            """;

    @Test
    void readsRssAndPssFromSmapsRollupNotTheirLookalikes() {
        assertEquals(153600, ProcStats.field(SMAPS_ROLLUP, "Rss:"));
        assertEquals(120345, ProcStats.field(SMAPS_ROLLUP, "Pss:"));
        assertEquals(0, ProcStats.field(SMAPS_ROLLUP, "Private_Dirty:"));
    }

    @Test
    void sizesAndDurationsReadAsAPersonWritesThem() {
        assertEquals("900 KiB", PodsCommand.kib(900));
        assertEquals("8.5 MiB", PodsCommand.kib(8704));
        assertEquals("150 MiB", PodsCommand.kib(153600));
        assertEquals("12.0 GiB", PodsCommand.kib(12L * 1024 * 1024));
        assertEquals("4.2s", PodsCommand.duration(Duration.ofMillis(4200)));
        assertEquals("5m03s", PodsCommand.duration(Duration.ofSeconds(303)));
        assertEquals("2h05m", PodsCommand.duration(Duration.ofMinutes(125)));
        assertEquals("3d04h", PodsCommand.duration(Duration.ofHours(76)));
    }

    @Test
    void tableShowsARunningPodsFiguresAndDashesForOneWithoutThem() {
        PodVmStatus running = new PodVmStatus(Path.of("/run/podvisor/pods/0123456789abcdef"),
                new PodInfo("4f1c2d3e4f5a6b7c8d9e", "default", "hello", 1, 288, 4242, 4343), PodVmStatus.RUNNING,
                4242, new ProcStats(153600, 120345, Duration.ofMillis(12300)), Duration.ofSeconds(303));
        PodVmStatus unknown = new PodVmStatus(Path.of("/run/podvisor/pods/fedcba9876543210"), null,
                PodVmStatus.UNKNOWN, 0, ProcStats.NONE, Duration.ZERO);

        List<String> lines = PodsCommand.table(List.of(running, unknown)).lines().toList();

        assertEquals(List.of("POD ID", "POD", "STATE", "VMM PID", "VCPUS", "MEMORY", "RSS", "PSS", "CPU", "UPTIME"),
                List.of(lines.get(0).split("  +")));
        assertEquals(List.of("4f1c2d3e4f5a6", "default/hello", "running", "4242", "1", "288 MiB", "150 MiB",
                "118 MiB", "12.3s", "5m03s"), List.of(lines.get(1).split("  +")));
        assertEquals(List.of("fedcba9876543", "-", "unknown", "-", "-", "-", "-", "-", "-", "-"),
                List.of(lines.get(2).split("  +")));
        // Columns line up: every row's STATE starts where the header's does.
        int state = lines.get(0).indexOf("STATE");
        assertEquals(state, lines.get(1).indexOf("running"));
        assertEquals(state, lines.get(2).indexOf("unknown"));
    }

    @Test
    void jsonHasWholeIdsAndNumbers() throws Exception {
        PodVmStatus running = new PodVmStatus(Path.of("/run/podvisor/pods/0123456789abcdef"),
                new PodInfo("4f1c2d3e4f5a6b7c8d9e", "default", "hello", 1, 288, 4242, 4343), PodVmStatus.RUNNING,
                4242, new ProcStats(153600, 120345, Duration.ofMillis(12300)), Duration.ofSeconds(303));

        JsonNode pod = new ObjectMapper().readTree(PodsCommand.json(List.of(running))).get(0);

        assertEquals("4f1c2d3e4f5a6b7c8d9e", pod.get("id").asText());
        assertEquals("hello", pod.get("name").asText());
        assertEquals(4242, pod.get("vmm_pid").asLong());
        assertEquals(288, pod.get("memory_mib").asLong());
        assertEquals(120345, pod.get("pss_kib").asLong());
        assertEquals(12.3, pod.get("cpu_seconds").asDouble());
        assertEquals(303, pod.get("uptime_seconds").asLong());
        assertEquals("/run/podvisor/pods/0123456789abcdef/console.log", pod.get("console_log").asText());
    }

    @Test
    void onlyJsonIsAnOption() {
        assertTrue(PodsCommand.parseJsonFlag(List.of("--json")));
        assertEquals(false, PodsCommand.parseJsonFlag(List.of()));
        assertThrows(IllegalArgumentException.class, () -> PodsCommand.parseJsonFlag(List.of("-a")));
    }
}
