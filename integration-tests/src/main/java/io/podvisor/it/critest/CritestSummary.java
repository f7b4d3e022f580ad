package io.podvisor.it.critest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Adds up the Ginkgo reports of the critest runs in a results directory ({@code <handler>.<time>.json}, one a
 * chunk): per handler, each spec counts once, with the outcome of its latest run that ran it; a spec on the
 * handler's skip list counts as skipped, one no run covered as not run.
 */
public final class CritestSummary {
    /** The specs of one handler by full text, in the order of their first report. */
    private final Map<String, Map<String, SpecResult>> byHandler = new TreeMap<>();

    /** The counts of one handler. */
    public record Counts(int passed, int failed, int skipped, int notRun) {
    }

    public static CritestSummary read(Path resultsDir) throws IOException {
        CritestSummary summary = new CritestSummary();
        List<Path> reports;
        try (Stream<Path> files = Files.list(resultsDir)) {
            reports = files.filter(file -> file.getFileName().toString().endsWith(".json"))
                    .sorted(Comparator.comparing(file -> file.getFileName().toString())).toList();
        }
        for (Path report : reports) {
            String name = report.getFileName().toString();
            String handler = name.substring(0, name.indexOf('.'));
            Map<String, SpecResult> specs = summary.byHandler.computeIfAbsent(handler, h -> new LinkedHashMap<>());
            for (SpecResult result : GinkgoReport.read(report)) {
                SpecResult before = specs.get(result.spec());
                if (before == null || result.ran() || !before.ran()) {
                    specs.put(result.spec(), result);
                }
            }
        }
        return summary;
    }

    public List<String> handlers() {
        return List.copyOf(byHandler.keySet());
    }

    public Counts counts(String handler, SkipList skips) {
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        int notRun = 0;
        for (SpecResult result : byHandler.getOrDefault(handler, Map.of()).values()) {
            if (result.passed()) {
                passed++;
            } else if (result.ran()) {
                failed++;
            } else if (skips.reason(result.spec()).isPresent()) {
                skipped++;
            } else {
                notRun++;
            }
        }
        return new Counts(passed, failed, skipped, notRun);
    }

    /** The specs that ran and did not pass. */
    public List<SpecResult> failures(String handler) {
        return byHandler.getOrDefault(handler, Map.of()).values().stream()
                .filter(result -> result.ran() && !result.passed()).toList();
    }

    /** Specs that passed with {@code reference} and ran but did not pass with {@code handler}, not on its skip list. */
    public List<String> regressions(String reference, String handler, SkipList skips) {
        Map<String, SpecResult> theirs = byHandler.getOrDefault(handler, Map.of());
        List<String> specs = new ArrayList<>();
        for (SpecResult result : byHandler.getOrDefault(reference, Map.of()).values()) {
            SpecResult other = theirs.get(result.spec());
            if (result.passed() && other != null && other.ran() && !other.passed()
                    && skips.reason(result.spec()).isEmpty()) {
                specs.add(result.spec());
            }
        }
        return specs;
    }

    /** The counts per handler, each failure's first line, and what passed with runc but not with podvisor. */
    public void print(PrintStream out, Map<String, SkipList> skipLists) {
        for (String handler : handlers()) {
            SkipList skips = skipLists.getOrDefault(handler, SkipList.none());
            Counts counts = counts(handler, skips);
            out.printf("%s: %d passed, %d failed, %d skipped (skip list), %d not run%n", handler,
                    counts.passed(), counts.failed(), counts.skipped(), counts.notRun());
            for (SpecResult failure : failures(handler)) {
                out.println("  FAILED " + failure.spec());
                failure.failure().lines().filter(line -> !line.isBlank()).limit(3)
                        .forEach(line -> out.println("         " + line.strip()));
            }
        }
        if (byHandler.containsKey("runc") && byHandler.containsKey("podvisor")) {
            List<String> regressions = regressions("runc", "podvisor", skipLists.getOrDefault("podvisor", SkipList.none()));
            out.println("passed with runc, failed with podvisor and not on its skip list: " + regressions.size());
            regressions.forEach(spec -> out.println("  " + spec));
        }
    }
}
