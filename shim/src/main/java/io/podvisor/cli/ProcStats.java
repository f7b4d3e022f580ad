package io.podvisor.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/** What /proc tells about one host process of a pod, or the sum over several: memory (KiB) and CPU time. */
record ProcStats(long rssKib, long pssKib, Duration cpu) {
    static final ProcStats NONE = new ProcStats(0, 0, Duration.ZERO);

    /** The process's figures; {@link #NONE} when it has just exited. */
    static ProcStats of(ProcessHandle process) throws IOException {
        Path rollup = Path.of("/proc", Long.toString(process.pid()), "smaps_rollup");
        String smaps;
        try {
            smaps = Files.readString(rollup);
        } catch (NoSuchFileException e) {
            return NONE;
        } catch (AccessDeniedException e) {
            throw new IOException("cannot read " + rollup + ": run podvisor as root", e);
        }
        ProcessHandle.Info info = process.info();
        return new ProcStats(field(smaps, "Rss:"), field(smaps, "Pss:"),
                info.totalCpuDuration().orElse(Duration.ZERO));
    }

    /** The figure in kB after {@code name} on its own line of /proc/PID/smaps_rollup (or status); 0 if absent. */
    static long field(String smaps, String name) {
        for (String line : smaps.split("\n")) {
            if (line.startsWith(name)) {
                String[] words = line.substring(name.length()).trim().split("\\s+");
                return Long.parseLong(words[0]);
            }
        }
        return 0;
    }

    /** The process's command line, words separated by spaces; empty when it has exited. */
    static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    ProcStats plus(ProcStats other) {
        return new ProcStats(rssKib + other.rssKib, pssKib + other.pssKib, cpu.plus(other.cpu));
    }
}
