package io.podvisor.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A host process's memory from /proc, in KiB: RSS and PSS from {@code smaps_rollup}, and the
 * resident shared memory from {@code status}. For a VMM whose guest RAM is a shared memfd,
 * {@code rssShmemKiB} is the guest memory it has touched. PSS splits pages mapped by several
 * processes (guest RAM mapped by the VMM, virtiofsd and the vsock backend), so PSS adds up.
 */
public record ProcessMemory(long rssKiB, long pssKiB, long pssShmemKiB, long rssShmemKiB) {
    public static final ProcessMemory NONE = new ProcessMemory(0, 0, 0, 0);

    public static ProcessMemory of(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            List<String> rollup = Files.readAllLines(proc.resolve("smaps_rollup"));
            List<String> status = Files.readAllLines(proc.resolve("status"));
            return new ProcessMemory(kib(rollup, "Rss:", proc), kib(rollup, "Pss:", proc),
                    kib(rollup, "Pss_Shmem:", proc), kib(status, "RssShmem:", proc));
        } catch (NoSuchFileException e) {
            throw new IOException("process " + pid + " is gone, cannot read its memory", e);
        }
    }

    public ProcessMemory plus(ProcessMemory other) {
        return new ProcessMemory(rssKiB + other.rssKiB, pssKiB + other.pssKiB, pssShmemKiB + other.pssShmemKiB,
                rssShmemKiB + other.rssShmemKiB);
    }

    public double pssMiB() {
        return pssKiB / 1024.0;
    }

    public double rssMiB() {
        return rssKiB / 1024.0;
    }

    public double rssShmemMiB() {
        return rssShmemKiB / 1024.0;
    }

    static long kib(List<String> lines, String field, Path source) throws IOException {
        for (String line : lines) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).replace("kB", "").strip());
            }
        }
        throw new IOException(source + " has no " + field + " field");
    }
}
