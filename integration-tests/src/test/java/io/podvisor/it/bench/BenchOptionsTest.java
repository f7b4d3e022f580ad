package io.podvisor.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
    @Test
    void defaultsAreTenPodsTenAtOnceAndOneVmBootPerPod() {
        BenchOptions options = BenchOptions.parse(List.of());
        assertFalse(options.vmOnly());
        assertEquals(10, options.pods());
        assertEquals(10, options.density());
        assertEquals(10, options.boots());
        assertEquals(null, options.json());
    }

    @Test
    void podsDensityAndJson() {
        BenchOptions options = BenchOptions.parse(List.of("--pods", "3", "--density", "0", "--json", "out.json"));
        assertEquals(3, options.pods());
        assertEquals(0, options.density());
        assertEquals(3, options.boots());
        assertEquals(3, options.warm(), "as many warm pod starts as cold ones");
        assertEquals(Path.of("out.json"), options.json());
        assertEquals(0, BenchOptions.parse(List.of("--warm", "0")).warm());
    }

    @Test
    void vmOnlyTakesBoots() {
        BenchOptions options = BenchOptions.parse(List.of("vm", "--boots", "2"));
        assertTrue(options.vmOnly());
        assertEquals(2, options.boots());
        assertEquals(5, BenchOptions.parse(List.of("vm")).boots());
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("vm", "--pods", "2")));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("vm", "--warm", "2")));
        assertEquals(0, BenchOptions.parse(List.of("vm")).warm());
    }

    @Test
    void badValuesSayWhatIsWrong() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.parse(List.of("--pods", "0")));
        assertEquals("--pods needs a number >= 1, got '0'", zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("--json")));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(List.of("--fast")));
    }
}
