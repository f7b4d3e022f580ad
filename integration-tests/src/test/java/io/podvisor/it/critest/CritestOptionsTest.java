package io.podvisor.it.critest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CritestOptionsTest {
    @Test
    void runTakesTheShellOfTheStandInImages() {
        CritestOptions options = CritestOptions.parse(List.of("run", "--critest", "/bin/critest", "--handler", "runc",
                "--shell", "/cache/busybox/bin/busybox", "--results", "/results"));
        assertEquals(Path.of("/cache/busybox/bin/busybox"), options.shell());
    }

    @Test
    void runWithoutAShellIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CritestOptions.parse(
                List.of("run", "--critest", "/bin/critest", "--handler", "runc", "--results", "/results")));
        assertTrue(e.getMessage().contains("--shell FILE"), e.getMessage());
    }

    @Test
    void summaryNeedsNoShell() {
        assertNull(CritestOptions.parse(List.of("summary", "--results", "/results")).shell());
    }
}
