package io.podvisor.it.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.containerd.ContainerdRelease;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SoakOptionsTest {
    @Test
    void defaultsAreFiftyCyclesFourAtOnceOnContainerd17() {
        assertEquals(new SoakOptions(50, 4, ContainerdRelease.V1_7, null), SoakOptions.parse(List.of()));
    }

    @Test
    void everyOption() {
        assertEquals(new SoakOptions(8, 2, ContainerdRelease.V2_1, Path.of("s.json")),
                SoakOptions.parse(List.of("--cycles", "8", "--parallel", "2", "--containerd", "2.1", "--json", "s.json")));
    }

    @Test
    void neverMoreAtOnceThanThereAreCycles() {
        assertEquals(3, SoakOptions.parse(List.of("--cycles", "3", "--parallel", "8")).parallel());
    }

    @Test
    void badValuesAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SoakOptions.parse(List.of("--cycles", "0")))
                .getMessage().contains("--cycles needs a number >= 1, got '0'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SoakOptions.parse(List.of("--containerd", "1.6")))
                .getMessage().contains("--containerd takes 1.7 or 2.1, got '1.6'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SoakOptions.parse(List.of("--forever")))
                .getMessage().contains("unknown option '--forever'"));
    }
}
