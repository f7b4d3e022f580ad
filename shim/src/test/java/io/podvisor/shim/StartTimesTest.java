package io.podvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StartTimesTest {
    @Test
    void theDaemonLineTimesBothJvmStartsAndTheVersionQuery() {
        StartTimes times = new StartTimes(1_000, 1_200, 30, "containerd --version");
        String encoded = times.encode();
        String line = StartTimes.describe(encoded, System.currentTimeMillis(), System.currentTimeMillis() + 250)
                .orElseThrow();
        assertTrue(line.contains("`start` JVM start to main 200 ms"), line);
        assertTrue(line.contains("containerd version (containerd --version) 30 ms"), line);
        assertTrue(line.contains("its main to ttrpc listening 250 ms"), line);
    }

    @Test
    void aDaemonNotSpawnedByStartLogsNoTimes() {
        assertTrue(StartTimes.describe(null, 0, 0).isEmpty());
        assertTrue(StartTimes.describe("garbage", 0, 0).isEmpty());
        assertTrue(StartTimes.describe("1,2,x,4,y", 0, 0).isEmpty());
    }

    @Test
    void thisProcessStartedBeforeItsMain() {
        StartTimes times = StartTimes.beginning();
        assertTrue(times.processStart() <= times.main(), times.toString());
        assertTrue(times.main() - times.processStart() < 60_000, times.toString());
        assertEquals(0, times.versionMillis());
    }
}
