package io.podvisor.shim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's memory as /proc/meminfo tells it. */
final class HostMemory {
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private HostMemory() {
    }

    /** MemAvailable, in MiB: what can be used without swapping. */
    static long availableMiB() throws IOException {
        return availableMiB(Files.readString(MEMINFO));
    }

    static long availableMiB(String meminfo) throws IOException {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("MemAvailable:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        throw new IOException(MEMINFO + " has no MemAvailable line");
    }
}
