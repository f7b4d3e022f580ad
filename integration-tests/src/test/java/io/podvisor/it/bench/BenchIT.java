package io.podvisor.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark end to end with the fewest runs (one pod of each runtime, one pod for density):
 * every measure is in the JSON with plausible values. The full run is {@code install/podvisor bench}.
 */
@Timeout(600)
class BenchIT {
    private static final Set<Measure> WITH_RUNC = EnumSet.of(Measure.POD_START, Measure.CONTAINER_START,
            Measure.EXEC, Measure.POD_TOTAL_PSS, Measure.SHIM_PSS, Measure.VIRTIOFS_READ);

    @Test
    void everyMeasureIsReportedWithPlausibleValues(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = BenchMain.run(List.of("--pods", "1", "--density", "1", "--json", json.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, "podvisor bench failed:\n" + err.toString(StandardCharsets.UTF_8) + table);
        assertTrue(table.contains(Measure.POD_START.title()), table);

        JsonNode report = new ObjectMapper().readTree(Files.readString(json));
        assertTrue(report.at("/machine_load/start/oneMinute").isNumber(), "machine load recorded: " + report.get("machine_load"));
        JsonNode measures = report.get("measures");
        for (Measure measure : Measure.values()) {
            JsonNode m = measures.get(measure.key());
            assertTrue(m != null && m.at("/podvisor/n").asInt() >= 1, measure.key() + " missing: " + measures);
            assertTrue(m.at("/podvisor/min").asDouble() > 0, measure.key() + " is not positive: " + m);
            assertEquals(WITH_RUNC.contains(measure), m.has("runc"), measure.key() + " runc figure: " + m);
            if (m.has("runc")) {
                assertTrue(m.at("/runc/min").asDouble() > 0, measure.key() + " is not positive for runc: " + m);
            }
        }
        for (Measure slower : List.of(Measure.POD_START, Measure.CONTAINER_START, Measure.EXEC)) {
            assertTrue(median(measures, slower, "runc") < median(measures, slower, "podvisor"),
                    "runc is faster than a VM for " + slower.key() + ": " + measures.get(slower.key()));
        }
        double guestMiB = report.at("/parameters/guest_memory_mib").asDouble();
        assertTrue(median(measures, Measure.GUEST_TOUCHED, "podvisor") <= guestMiB + 1, "guest RAM touched <= guest RAM");
        assertTrue(median(measures, Measure.AGENT_RSS, "podvisor") < guestMiB, "agent RSS < guest RAM");
        double parts = median(measures, Measure.SHIM_PSS, "podvisor") + median(measures, Measure.VMM_PSS, "podvisor")
                + median(measures, Measure.VIRTIOFSD_PSS, "podvisor");
        assertTrue(Math.abs(median(measures, Measure.POD_TOTAL_PSS, "podvisor") - parts) < 0.05 * parts,
                "a pod's PSS is its shim's, VMM's and virtiofsd's: " + parts + " vs " + measures.get(Measure.POD_TOTAL_PSS.key()));
        assertTrue(median(measures, Measure.POD_OVERHEAD_PSS, "podvisor") < median(measures, Measure.POD_TOTAL_PSS, "podvisor"));
    }

    private static double median(JsonNode measures, Measure measure, String runtime) {
        return measures.get(measure.key()).get(runtime).get("median").asDouble();
    }
}
