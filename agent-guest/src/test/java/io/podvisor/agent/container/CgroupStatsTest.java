package io.podvisor.agent.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.proto.agent.v1.ContainerStatsResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files of a cgroup v2 directory as a 6.1 guest kernel writes them. */
class CgroupStatsTest {

    @TempDir
    Path cgroup;

    @Test
    void readsCpuMemoryPidsAndOomFigures() throws Exception {
        Files.writeString(cgroup.resolve("cpu.stat"), """
                usage_usec 52311
                user_usec 40122
                system_usec 12189
                nr_periods 0
                nr_throttled 0
                throttled_usec 0
                """);
        Files.writeString(cgroup.resolve("memory.current"), "1138688\n");
        Files.writeString(cgroup.resolve("memory.max"), "67108864\n");
        Files.writeString(cgroup.resolve("memory.stat"), """
                anon 245760
                file 753664
                kernel 102400
                active_anon 0
                inactive_anon 241664
                active_file 12288
                inactive_file 741376
                """);
        Files.writeString(cgroup.resolve("memory.events"), "low 0\nhigh 0\nmax 17\noom 2\noom_kill 2\noom_group_kill 0\n");
        Files.writeString(cgroup.resolve("pids.current"), "3\n");

        ContainerStatsResponse stats = CgroupStats.read(cgroup);

        assertEquals(52311, stats.getCpuUsageUsec());
        assertEquals(40122, stats.getCpuUserUsec());
        assertEquals(12189, stats.getCpuSystemUsec());
        assertEquals(1138688, stats.getMemoryCurrentBytes());
        assertEquals(67108864, stats.getMemoryLimitBytes());
        assertEquals(245760, stats.getMemoryAnonBytes());
        assertEquals(753664, stats.getMemoryFileBytes());
        assertEquals(741376, stats.getMemoryInactiveFileBytes());
        assertEquals(3, stats.getPidsCurrent());
        assertEquals(2, stats.getOomKills());
        assertTrue(stats.getTimestampUnixNanos() > 1_700_000_000_000_000_000L);
    }

    @Test
    void noMemoryLimitAndDisabledControllersReadAsZero() throws Exception {
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 5\nuser_usec 4\nsystem_usec 1\n");
        Files.writeString(cgroup.resolve("memory.max"), "max\n");

        ContainerStatsResponse stats = CgroupStats.read(cgroup);

        assertEquals(5, stats.getCpuUsageUsec());
        assertEquals(0, stats.getMemoryLimitBytes());
        assertEquals(0, stats.getMemoryCurrentBytes());
        assertEquals(0, stats.getPidsCurrent());
    }

    @Test
    void missingCgroupIsNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> CgroupStats.read(cgroup.resolve("gone")));
    }
}
