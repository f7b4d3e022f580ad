package io.podvisor.it.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One benchmark run's results with the conditions they were taken in: a table and JSON. */
public record Report(String command, Instant started, double seconds, MachineLoad loadAtStart,
                     MachineLoad loadAtEnd, Map<String, Object> parameters, Map<Measure, Map<String, Stats>> stats,
                     List<String> notes) {

    public void printTable(PrintStream out) {
        out.printf("%n%s%n", command);
        out.printf("%s; machine %s at start, %s at end; %.0f s%n", parameters, loadAtStart, loadAtEnd, seconds);
        out.printf("%-54s %-5s | %-37s | %-37s%n", "", "", "podvisor", "runc (same run)");
        out.printf("%-54s %-5s | %7s %7s %21s | %7s %7s %21s%n", "measure", "unit",
                "median", "p95", "min-max", "median", "p95", "min-max");
        stats.forEach((measure, byRuntime) -> {
            out.printf("%-54s %-5s | %s | %s%n", measure.title(), measure.unit(),
                    cells(byRuntime.get(Results.PODVISOR)), cells(byRuntime.get(Results.RUNC)));
        });
        notes.forEach(note -> out.println("note: " + note));
    }

    private static String cells(Stats s) {
        if (s == null) {
            return "%7s %7s %21s".formatted("-", "", "");
        }
        return "%7s %7s %21s".formatted(number(s.median()), number(s.p95()),
                number(s.min()) + "-" + number(s.max()) + " n=" + s.n());
    }

    static String number(double v) {
        double a = Math.abs(v);
        return a >= 100 ? "%.0f".formatted(v) : a >= 10 ? "%.1f".formatted(v) : "%.2f".formatted(v);
    }

    public void writeJson(Path file) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", command);
        json.put("started", started.toString());
        json.put("duration_s", seconds);
        json.put("machine_load", Map.of("start", loadAtStart, "end", loadAtEnd));
        json.put("parameters", parameters);
        Map<String, Object> measures = new LinkedHashMap<>();
        stats.forEach((measure, byRuntime) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("title", measure.title().strip());
            m.put("unit", measure.unit());
            m.putAll(byRuntime);
            measures.put(measure.key(), m);
        });
        json.put("measures", measures);
        json.put("notes", notes);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
    }
}
