package io.podvisor.it.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

class PodProcessesTest {
    @Test
    void cpuTicksGrowWithTheCpuAProcessBurns() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = PodProcesses.cpuTicks(ProcessHandle.current());
        long end = threads.getCurrentThreadCpuTime() + 300_000_000L;
        long spins = 0;
        while (threads.getCurrentThreadCpuTime() < end) {
            spins++;
        }
        long after = PodProcesses.cpuTicks(ProcessHandle.current());
        assertTrue(after - before >= 25, "300 ms of CPU (" + spins + " spins) is about 30 ticks: " + (after - before));
    }
}
