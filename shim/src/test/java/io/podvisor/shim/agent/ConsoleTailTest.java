package io.podvisor.shim.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleTailTest {
    @TempDir
    Path tmp;

    private Path console(List<String> lines) throws IOException {
        return Files.write(tmp.resolve("console.log"), lines);
    }

    private static List<String> numbered(String prefix, int count) {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            lines.add(prefix + " " + i);
        }
        return lines;
    }

    @Test
    void aDeadVmsTailReachesBackToTheStartOfAPanicWhoseTraceIsLongerThanTheTail() throws IOException {
        List<String> lines = new ArrayList<>(numbered("boot", 30));
        lines.add("[    5.68] Kernel panic - not syncing: sysrq triggered crash");
        lines.addAll(numbered("[    5.69]  trace", 45));

        String tail = ConsoleTail.ofDeadVm(console(lines), 40);

        assertTrue(tail.lines().findFirst().orElseThrow().contains("Kernel panic - not syncing"), tail);
        assertEquals(46, tail.lines().count(), tail);
        assertTrue(tail.endsWith("trace 45"), tail);
    }

    @Test
    void withoutAFaultReportADeadVmsTailIsItsLastLines() throws IOException {
        String tail = ConsoleTail.ofDeadVm(console(numbered("line", 100)), 40);

        assertEquals(40, tail.lines().count(), tail);
        assertTrue(tail.startsWith("  line 61"), tail);
    }

    @Test
    void aFaultWithinTheLastLinesChangesNothing() throws IOException {
        List<String> lines = new ArrayList<>(numbered("boot", 50));
        lines.add("kernel BUG at fs/super.c:503!");
        lines.addAll(numbered("trace", 5));

        String tail = ConsoleTail.ofDeadVm(console(lines), 40);

        assertEquals(40, tail.lines().count(), tail);
    }
}
