package io.podvisor.it.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessMemoryTest {
    @Test
    void readsThisJvmsMemory() throws IOException {
        ProcessMemory memory = ProcessMemory.of(ProcessHandle.current().pid());
        assertTrue(memory.rssKiB() > 10_000, "a JVM's RSS is above 10 MiB: " + memory);
        assertTrue(memory.pssKiB() > 0 && memory.pssKiB() <= memory.rssKiB(), "0 < PSS <= RSS: " + memory);
    }

    @Test
    void aMissingFieldOrProcessIsAnError() {
        assertThrows(IOException.class, () -> ProcessMemory.kib(List.of("Rss: 12 kB"), "Pss:", null));
        assertThrows(IOException.class, () -> ProcessMemory.of(Long.MAX_VALUE));
    }
}
