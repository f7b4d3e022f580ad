package io.podvisor.it.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Median, 95th percentile (nearest rank) and range of one measure's samples. */
public record Stats(int n, double median, double p95, double min, double max, List<Double> samples) {

    public static Stats of(List<Double> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        double p95 = sorted.get((int) Math.ceil(0.95 * n) - 1);
        return new Stats(n, median, p95, sorted.getFirst(), sorted.getLast(), List.copyOf(samples));
    }
}
