package io.podvisor.it.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The soak's outcome: per cycle and per round, and the leaks in all. */
record SoakReport(String command, SoakOptions options, double seconds, Map<String, Long> baseline,
                  List<SoakCycle.Result> cycles, List<Soak.Round> rounds) {

    long failedCycles() {
        return cycles.stream().filter(c -> !c.ok()).count();
    }

    long leftoverItems() {
        return cycles.stream().mapToLong(c -> c.leftovers().size()).sum();
    }

    /** The node's counts after the last round against the start (RSS growth shown, not counted). */
    Map<String, Long> finalDelta() {
        return rounds.isEmpty() ? Map.of() : rounds.getLast().delta();
    }

    long leaks() {
        return leftoverItems() + NodeCounts.leaks(finalDelta());
    }

    boolean clean() {
        return failedCycles() == 0 && leaks() == 0;
    }

    void printSummary(PrintStream out) {
        out.printf("%n%s: %d cycles, %d at once, on %s, %.0f s%n", command, cycles.size(), options.parallel(),
                options.containerd(), seconds);
        out.printf("failed cycles: %d; pod leftovers after removal: %d; node against the start after the last round: %s%n",
                failedCycles(), leftoverItems(), finalDelta());
        long maxShimFds = cycles.stream().mapToLong(SoakCycle.Result::shimFds).max().orElse(-1);
        long minShimFds = cycles.stream().mapToLong(SoakCycle.Result::shimFds).filter(n -> n >= 0).min().orElse(-1);
        out.printf("shim open descriptors per pod: %d-%d%n", minShimFds, maxShimFds);
        out.println(clean() ? "no leaks" : "LEAKS OR FAILURES: " + leaks() + " leaked items, " + failedCycles() + " failed cycles");
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", command);
        json.put("duration_s", seconds);
        json.put("parameters", Map.of("cycles", options.cycles(), "parallel", options.parallel(),
                "containerd", options.containerd().series()));
        json.put("node_at_start", baseline);
        json.put("cycles", cycles);
        json.put("rounds", rounds);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("failed_cycles", failedCycles());
        summary.put("pod_leftovers", leftoverItems());
        summary.put("node_delta_at_end", finalDelta());
        summary.put("leaks", leaks());
        json.put("summary", summary);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
    }
}
