package io.podvisor.agent;

import io.podvisor.proto.agent.v1.GuestInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads what the guest is from /proc: kernel, memory, uptime, CPUs, the agent's own RSS. */
final class GuestInfoReader {

    private final Path proc;
    private final String agentVersion;

    GuestInfoReader(Path proc, String agentVersion) {
        this.proc = proc;
        this.agentVersion = agentVersion;
    }

    GuestInfo read() throws IOException {
        String meminfo = Files.readString(proc.resolve("meminfo"));
        String uptime = Files.readString(proc.resolve("uptime")).trim();
        return GuestInfo.newBuilder()
                .setKernelRelease(Files.readString(proc.resolve("sys/kernel/osrelease")).trim())
                .setMemoryTotalBytes(kibField(meminfo, "MemTotal:") * 1024)
                .setMemoryAvailableBytes(kibField(meminfo, "MemAvailable:") * 1024)
                .setUptimeSeconds(Double.parseDouble(uptime.substring(0, uptime.indexOf(' '))))
                .setCpus(Runtime.getRuntime().availableProcessors())
                .setAgentVersion(agentVersion)
                .setAgentRssBytes(kibField(Files.readString(proc.resolve("self/status")), "VmRSS:") * 1024)
                .build();
    }

    /** The value of a "Name:   1234 kB" line. */
    static long kibField(String text, String name) throws IOException {
        int at = text.indexOf(name);
        if (at < 0 || (at > 0 && text.charAt(at - 1) != '\n')) {
            throw new IOException("no " + name + " line in /proc");
        }
        int end = text.indexOf('\n', at);
        String value = text.substring(at + name.length(), end < 0 ? text.length() : end).trim();
        int space = value.indexOf(' ');
        return Long.parseLong(space < 0 ? value : value.substring(0, space));
    }
}
