package io.podvisor.it.soak;

import io.podvisor.it.HostProcesses;
import io.podvisor.it.cri.PodTraces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a node holds that pods could leak, counted at one moment: podvisor processes (shims, VMMs,
 * virtiofsd), mounts, network namespaces, network and TAP devices in the host's namespace, files under
 * the run directory, and containerd's open descriptors and RSS.
 */
record NodeCounts(Map<String, Long> counts) {
    static final String PROCESSES = "podvisor_processes";
    static final String MOUNTS = "mounts";
    static final String NETNS = "network_namespaces";
    static final String NET_DEVICES = "host_net_devices";
    static final String TAP_DEVICES = "host_tap_devices";
    static final String RUN_DIR_FILES = "run_dir_files";
    static final String CONTAINERD_FDS = "containerd_fds";
    /** Reported beside the counts, not a leak count: a long-lived process's RSS moves with its caches. */
    static final String CONTAINERD_RSS_MIB = "containerd_rss_mib";

    private static final Path NETNS_DIR = Path.of("/var/run/netns");
    private static final Path NET_DIR = Path.of("/sys/class/net");

    /** The counts now; {@code bridge}, the test bed's CNI bridge, made with the first pod, is not counted. */
    static NodeCounts take(Path runDir, long containerdPid, String bridge) throws IOException {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put(PROCESSES, (long) (HostProcesses.mentioning(PodTraces.POD_DIRS.toString()).size()
                + HostProcesses.shims().size()));
        counts.put(MOUNTS, lines(Path.of("/proc/self/mountinfo")));
        counts.put(NETNS, entries(NETNS_DIR));
        counts.put(NET_DEVICES, entries(NET_DIR) - (Files.exists(NET_DIR.resolve(bridge)) ? 1 : 0));
        counts.put(TAP_DEVICES, taps());
        counts.put(RUN_DIR_FILES, files(runDir));
        Path process = Path.of("/proc", Long.toString(containerdPid));
        counts.put(CONTAINERD_FDS, entries(process.resolve("fd")));
        counts.put(CONTAINERD_RSS_MIB, rssKiB(process) / 1024);
        return new NodeCounts(counts);
    }

    /** This minus {@code baseline}, key by key. */
    Map<String, Long> minus(NodeCounts baseline) {
        Map<String, Long> delta = new LinkedHashMap<>();
        counts.forEach((key, value) -> delta.put(key, value - baseline.counts.getOrDefault(key, 0L)));
        return delta;
    }

    /** The leak counts in a delta: what grew, RSS aside. */
    static long leaks(Map<String, Long> delta) {
        return delta.entrySet().stream().filter(e -> !e.getKey().equals(CONTAINERD_RSS_MIB))
                .mapToLong(e -> Math.max(0, e.getValue())).sum();
    }

    private static long lines(Path file) throws IOException {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        }
    }

    private static long entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.count();
        }
    }

    private static long taps() throws IOException {
        try (Stream<Path> list = Files.list(NET_DIR)) {
            return list.filter(device -> Files.exists(device.resolve("tun_flags"))).count();
        }
    }

    private static long files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> !p.equals(dir)).count();
        }
    }

    private static long rssKiB(Path process) throws IOException {
        for (String line : Files.readAllLines(process.resolve("status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmRSS in " + process.resolve("status"));
    }
}
