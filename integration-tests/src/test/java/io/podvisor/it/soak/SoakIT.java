package io.podvisor.it.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The soak end to end with the fewest cycles that still run pods side by side: 3 cycles, 2 at once, 2 rounds. */
@Timeout(900)
class SoakIT {
    private static final List<String> STEPS = List.of("run_pod", "create", "start", "exec", "stop", "remove",
            "stop_pod", "remove_pod");

    @Test
    void threeLifecyclesTwoAtOnceLeaveNothing(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("soak.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = SoakMain.run(List.of("--cycles", "3", "--parallel", "2", "--json", json.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String summary = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, "podvisor soak failed:\n" + err.toString(StandardCharsets.UTF_8) + summary);
        assertTrue(summary.contains("no leaks"), summary);

        JsonNode report = new ObjectMapper().readTree(Files.readString(json));
        assertEquals(0, report.at("/summary/leaks").asInt(), report.toPrettyString());
        assertEquals(0, report.at("/summary/failed_cycles").asInt(), report.toPrettyString());
        JsonNode cycles = report.get("cycles");
        assertEquals(3, cycles.size());
        for (JsonNode cycle : cycles) {
            assertTrue(cycle.get("ok").asBoolean(), cycle.toPrettyString());
            assertEquals(64, cycle.get("pod").asText().length(), "a CRI sandbox id: " + cycle);
            for (String step : STEPS) {
                assertTrue(cycle.at("/seconds/" + step).asDouble() > 0, step + " timed: " + cycle);
            }
            assertTrue(cycle.get("shimFds").asInt() > 0, "the shim's descriptors were counted: " + cycle);
            assertEquals(0, cycle.get("leftovers").size(), cycle.toPrettyString());
        }
        JsonNode rounds = report.get("rounds");
        assertEquals(2, rounds.size());
        for (String key : List.of(NodeCounts.PROCESSES, NodeCounts.MOUNTS, NodeCounts.NETNS, NodeCounts.TAP_DEVICES,
                NodeCounts.RUN_DIR_FILES, NodeCounts.CONTAINERD_FDS)) {
            assertTrue(rounds.get(1).at("/delta/" + key).isNumber(), key + " counted: " + rounds.get(1));
        }
    }
}
