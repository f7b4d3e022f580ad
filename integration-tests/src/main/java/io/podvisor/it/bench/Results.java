package io.podvisor.it.bench;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Samples collected per measure and runtime ("podvisor" or "runc"). */
public final class Results {
    public static final String PODVISOR = "podvisor";
    public static final String RUNC = "runc";

    private final Map<Measure, Map<String, List<Double>>> samples = new EnumMap<>(Measure.class);

    public synchronized void add(Measure measure, String runtime, double value) {
        samples.computeIfAbsent(measure, m -> new LinkedHashMap<>())
                .computeIfAbsent(runtime, r -> new ArrayList<>()).add(value);
    }

    /** Measures with samples, in declaration order, each with its runtimes' statistics. */
    public synchronized Map<Measure, Map<String, Stats>> stats() {
        Map<Measure, Map<String, Stats>> stats = new EnumMap<>(Measure.class);
        samples.forEach((measure, byRuntime) -> {
            Map<String, Stats> s = new LinkedHashMap<>();
            for (String runtime : List.of(PODVISOR, RUNC)) {
                if (byRuntime.containsKey(runtime)) {
                    s.put(runtime, Stats.of(byRuntime.get(runtime)));
                }
            }
            stats.put(measure, s);
        });
        return stats;
    }
}
