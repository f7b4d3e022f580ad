package io.podvisor.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void medianOfAnOddAndAnEvenNumberOfSamples() {
        assertEquals(3.0, Stats.of(List.of(5.0, 1.0, 3.0)).median());
        assertEquals(2.5, Stats.of(List.of(4.0, 1.0, 3.0, 2.0)).median());
    }

    @Test
    void p95IsTheNearestRankAndRangeIsMinToMax() {
        List<Double> samples = new ArrayList<>(IntStream.rangeClosed(1, 20).mapToObj(i -> (double) i).toList());
        Collections.shuffle(samples);
        Stats stats = Stats.of(samples);
        assertEquals(19.0, stats.p95());
        assertEquals(1.0, stats.min());
        assertEquals(20.0, stats.max());
        assertEquals(20, stats.n());
        assertEquals(7.0, Stats.of(List.of(7.0)).p95());
    }

    @Test
    void noSamplesIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Stats.of(List.of()));
    }
}
