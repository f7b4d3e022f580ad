package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podvisor.it.HostProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a removed pod must not leave on the host: a process or mount naming it, its pod directory,
 * a network namespace CNI made for it, or a port on the test bed's bridge (a veth whose peer was
 * the pod's).
 */
final class PodLeftovers {
    private static final Path POD_DIRS = Path.of("/run/podvisor/pods");
    private static final Path NETNS_DIR = Path.of("/var/run/netns");

    private final Set<String> netnsBefore;

    private PodLeftovers(Set<String> netnsBefore) {
        this.netnsBefore = netnsBefore;
    }

    /** Notes the network namespaces there are before the pod runs. */
    static PodLeftovers snapshot() throws IOException {
        return new PodLeftovers(netnsNames());
    }

    /** Waits up to 30 s for the pod's processes to go, then checks that nothing of it is left. */
    void assertNoneOf(String podId, CniBridge cni) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> left = leftovers(podId, cni);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            left = leftovers(podId, cni);
        }
        assertEquals(List.of(), left, "left behind by pod " + podId);
    }

    private List<String> leftovers(String podId, CniBridge cni) throws IOException {
        List<String> left = new ArrayList<>();
        HostProcesses.mentioning(podId).forEach(p -> left.add("process " + p.pid() + ": " + HostProcesses.cmdline(p)));
        try (Stream<String> mounts = Files.lines(Path.of("/proc/self/mountinfo"))) {
            mounts.filter(l -> l.contains(podId)).forEach(l -> left.add("mount " + l));
        }
        if (Files.exists(POD_DIRS.resolve(podId))) {
            left.add("pod directory " + POD_DIRS.resolve(podId));
        }
        Set<String> netns = netnsNames();
        netns.removeAll(netnsBefore);
        netns.forEach(n -> left.add("network namespace " + NETNS_DIR.resolve(n)));
        Path ports = Path.of("/sys/class/net", cni.bridge(), "brif");
        if (Files.isDirectory(ports)) {
            try (Stream<Path> list = Files.list(ports)) {
                list.forEach(p -> left.add("port on bridge " + cni.bridge() + ": " + p.getFileName()));
            }
        }
        return left;
    }

    private static Set<String> netnsNames() throws IOException {
        Set<String> names = new TreeSet<>();
        if (Files.isDirectory(NETNS_DIR)) {
            try (Stream<Path> list = Files.list(NETNS_DIR)) {
                list.forEach(p -> names.add(p.getFileName().toString()));
            }
        }
        return names;
    }
}
