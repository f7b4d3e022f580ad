package io.podvisor.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The load averages {@code uptime} prints, from /proc/loadavg: other work skews the figures. */
public record MachineLoad(double oneMinute, double fiveMinutes, double fifteenMinutes, int cpus) {

    public static MachineLoad now() throws IOException {
        String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
        return new MachineLoad(Double.parseDouble(fields[0]), Double.parseDouble(fields[1]),
                Double.parseDouble(fields[2]), Runtime.getRuntime().availableProcessors());
    }

    @Override
    public String toString() {
        return "load average %.2f, %.2f, %.2f on %d CPUs".formatted(oneMinute, fiveMinutes, fifteenMinutes, cpus);
    }
}
