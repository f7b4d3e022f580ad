package io.podvisor.agent.container;

import io.podvisor.proto.agent.v1.ContainerStatsResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a cgroup v2 directory's figures: cpu.stat, memory.current, memory.max, memory.stat, memory.events
 * and pids.current. A file of a controller that is not enabled for the cgroup reads as zero.
 */
final class CgroupStats {

    private CgroupStats() {}

    /** @throws NoSuchFileException when the cgroup itself does not exist */
    static ContainerStatsResponse read(Path cgroup) throws IOException {
        if (!Files.isDirectory(cgroup)) {
            throw new NoSuchFileException(cgroup.toString());
        }
        Map<String, Long> cpu = keyed(cgroup.resolve("cpu.stat"));
        Map<String, Long> memory = keyed(cgroup.resolve("memory.stat"));
        Map<String, Long> events = keyed(cgroup.resolve("memory.events"));
        Instant now = Instant.now();
        return ContainerStatsResponse.newBuilder()
                .setCpuUsageUsec(cpu.getOrDefault("usage_usec", 0L))
                .setCpuUserUsec(cpu.getOrDefault("user_usec", 0L))
                .setCpuSystemUsec(cpu.getOrDefault("system_usec", 0L))
                .setMemoryCurrentBytes(single(cgroup.resolve("memory.current")))
                .setMemoryLimitBytes(single(cgroup.resolve("memory.max")))
                .setMemoryAnonBytes(memory.getOrDefault("anon", 0L))
                .setMemoryFileBytes(memory.getOrDefault("file", 0L))
                .setMemoryInactiveFileBytes(memory.getOrDefault("inactive_file", 0L))
                .setPidsCurrent(single(cgroup.resolve("pids.current")))
                .setOomKills(events.getOrDefault("oom_kill", 0L))
                .setTimestampUnixNanos(now.getEpochSecond() * 1_000_000_000L + now.getNano())
                .build();
    }

    /** The {@code oom_kill} count of a memory.events file; 0 when it is gone. */
    static long oomKills(Path memoryEvents) throws IOException {
        return keyed(memoryEvents).getOrDefault("oom_kill", 0L);
    }

    /** A "key value" per line file (cpu.stat, memory.stat, memory.events); empty when absent. */
    static Map<String, Long> keyed(Path file) throws IOException {
        Map<String, Long> values = new HashMap<>();
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return values;
        }
        for (String line : text.split("\n")) {
            int space = line.indexOf(' ');
            if (space > 0) {
                try {
                    values.put(line.substring(0, space), Long.parseLong(line.substring(space + 1).strip()));
                } catch (NumberFormatException e) {
                    // a key whose value is not a single number (none of those read here)
                }
            }
        }
        return values;
    }

    /** A one-value file (memory.current, memory.max, pids.current); "max" (no limit) and absence read as 0. */
    static long single(Path file) throws IOException {
        try {
            String value = Files.readString(file).strip();
            return value.equals("max") || value.isEmpty() ? 0 : Long.parseLong(value);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
