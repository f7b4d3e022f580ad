package io.podvisor.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The elapsed time busybox's {@code time} prints after dd's own lines. */
class TimeOutputTest {
    @Test
    void readsMinutesAndSeconds() throws IOException {
        assertEquals(1.23, PodBench.realSeconds("64+0 records in\n64+0 records out\nreal\t0m 1.23s\nuser\t0m 0.00s\n", null), 1e-9);
        assertEquals(62.5, PodBench.realSeconds("real\t1m 2.50s\n", null), 1e-9);
    }

    @Test
    void belowTheResolutionCountsAsTenMilliseconds() throws IOException {
        assertEquals(0.01, PodBench.realSeconds("real\t0m 0.00s\n", null), 1e-9);
    }

    @Test
    void outputWithoutATimeIsAnError() {
        assertThrows(IOException.class, () -> PodBench.realSeconds("dd: can't open\n", null));
    }
}
