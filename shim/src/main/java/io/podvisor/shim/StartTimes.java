package io.podvisor.shim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * When the {@code start} command reached its steps, handed to the daemon it spawns (in the environment) so the
 * daemon's log, which the start command cannot write, times both JVM starts of a pod's shim. Wall-clock
 * milliseconds; a process's start time has the resolution of the kernel's clock ticks and /proc/uptime (10 ms).
 */
record StartTimes(long processStart, long main, long versionMillis, String versionSource) {
    static final String ENV = "PODVISOR_START_TIMES";

    /** This process's start (its launcher script's exec) and now, the start of main. */
    static StartTimes beginning() {
        long now = System.currentTimeMillis();
        return new StartTimes(thisProcessStart().orElse(now), now, 0, "");
    }

    StartTimes withVersionQuery(long millis, String source) {
        return new StartTimes(processStart, main, millis, source);
    }

    /** The environment value for a daemon spawned now. */
    String encode() {
        return processStart + "," + main + "," + versionMillis + "," + System.currentTimeMillis() + "," + versionSource;
    }

    /**
     * The debug line the daemon logs once it listens: the start command's JVM start, its version query, the
     * daemon's JVM start and its way to listening; empty when the daemon was not spawned by {@code start}.
     */
    static Optional<String> describe(String encoded, long daemonMain, long listening) {
        if (encoded == null || encoded.isEmpty()) {
            return Optional.empty();
        }
        String[] parts = encoded.split(",", 5);
        if (parts.length != 5) {
            return Optional.empty();
        }
        try {
            long startProcess = Long.parseLong(parts[0]);
            long startMain = Long.parseLong(parts[1]);
            long version = Long.parseLong(parts[2]);
            long spawned = Long.parseLong(parts[3]);
            long daemonProcess = thisProcessStart().orElse(spawned);
            return Optional.of("shim start: `start` JVM start to main " + (startMain - startProcess)
                    + " ms, containerd version (" + parts[4] + ") " + version + " ms, start's main to daemon spawn "
                    + (spawned - startMain) + " ms; daemon JVM start to main " + (daemonMain - daemonProcess)
                    + " ms, its main to ttrpc listening " + (listening - daemonMain) + " ms; `start` began to daemon"
                    + " listening " + (listening - startProcess) + " ms");
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * When this process started: its age from /proc (ProcessHandle's start instant rests on the boot time, which
     * /proc gives to the second only).
     */
    private static Optional<Long> thisProcessStart() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(fields[19]);
            double uptimeSeconds = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            long ageMillis = Math.round(uptimeSeconds * 1000) - startTicks * 1000 / CLOCK_TICKS_PER_SECOND;
            return Optional.of(System.currentTimeMillis() - ageMillis);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** USER_HZ, 100 on every Linux architecture podvisor runs on. */
    private static final long CLOCK_TICKS_PER_SECOND = 100;
}
