package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a removed pod must not leave on the host: a process or mount naming it, its pod directory,
 * a network namespace CNI made for it, or a port on the test bed's bridge (a veth whose peer was
 * the pod's).
 */
public final class PodLeftovers {
    private static final Path NETNS_DIR = Path.of("/var/run/netns");

    private final Set<String> netnsBefore;

    private PodLeftovers(Set<String> netnsBefore) {
        this.netnsBefore = netnsBefore;
    }

    /** Notes the network namespaces there are before a pod that may fail to run. */
    static PodLeftovers snapshot() throws IOException {
        return new PodLeftovers(netnsNames());
    }

    /**
     * Waits up to 30 s for the pod's processes to go, then checks that nothing of it is left: its
     * processes, mounts, pod directory, network namespace ({@code netns}) and bridge ports.
     */
    static void assertNoneOf(String podId, Path netns, CniBridge cni) throws IOException, InterruptedException {
        awaitNone("pod " + podId, () -> {
            List<String> left = PodTraces.of(podId, netns);
            addBridgePorts(cni, left);
            return left;
        });
    }

    /** For a pod that never got an id (RunPodSandbox failed): no pod anywhere, no new netns, no bridge port. */
    void assertNoPodLeft(CniBridge cni) throws IOException, InterruptedException {
        awaitNone("a refused pod", () -> {
            List<String> left = PodTraces.ofAnyPod();
            Set<String> netns = netnsNames();
            netns.removeAll(netnsBefore);
            netns.forEach(n -> left.add("network namespace " + NETNS_DIR.resolve(n)));
            addBridgePorts(cni, left);
            return left;
        });
    }

    /** Waits up to 30 s, then checks that no podvisor shim, VMM, mount or pod directory is on the host at all. */
    public static void assertNoPodAnywhere() throws IOException, InterruptedException {
        awaitNone("a pod", PodTraces::ofAnyPod);
    }

    private static void awaitNone(String what, PodTraces.Lookup lookup) throws IOException, InterruptedException {
        assertEquals(List.of(), PodTraces.await(lookup), "left behind by " + what);
    }

    private static void addBridgePorts(CniBridge cni, List<String> left) throws IOException {
        Path ports = Path.of("/sys/class/net", cni.bridge(), "brif");
        if (Files.isDirectory(ports)) {
            try (Stream<Path> list = Files.list(ports)) {
                list.forEach(p -> left.add("port on bridge " + cni.bridge() + ": " + p.getFileName()));
            }
        }
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
