package io.podvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.shim.vm.PodInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodLookupTest {
    private static final PodVmStatus HELLO = pod("aa11bb22", "default", "hello", "0001");
    private static final PodVmStatus WORLD = pod("aa11cc33", "kube-system", "world", "0002");
    private static final PodVmStatus UNRECORDED = new PodVmStatus(Path.of("/run/podvisor/pods/77e0f00d"), null,
            PodVmStatus.UNKNOWN, 0, ProcStats.NONE, Duration.ZERO);
    private static final List<PodVmStatus> PODS = List.of(HELLO, WORLD, UNRECORDED);

    private static PodVmStatus pod(String id, String namespace, String name, String dir) {
        return new PodVmStatus(Path.of("/run/podvisor/pods/" + dir), new PodInfo(id, namespace, name, 1, 256, 1, 2),
                PodVmStatus.RUNNING, 1, ProcStats.NONE, Duration.ZERO);
    }

    @Test
    void anUnambiguousPrefixOrTheWholeIdFindsThePod() throws Exception {
        assertEquals(HELLO, PodLookup.find(PODS, "aa11b"));
        assertEquals(WORLD, PodLookup.find(PODS, "aa11cc33"));
        assertEquals(UNRECORDED, PodLookup.find(PODS, "77e"));
    }

    @Test
    void thePodsNameFindsIt() throws Exception {
        assertEquals(HELLO, PodLookup.find(PODS, "hello"));
        assertEquals(WORLD, PodLookup.find(PODS, "kube-system/world"));
    }

    @Test
    void anAmbiguousPrefixNamesTheCandidates() {
        var e = assertThrows(PodLookup.NoSuchPodException.class, () -> PodLookup.find(PODS, "aa11"));
        assertEquals("'aa11' matches 2 pods: aa11bb22 (default/hello), aa11cc33 (kube-system/world);"
                + " give more of the id (`podvisor pods --json` shows whole ids)", e.getMessage());
    }

    @Test
    void anUnknownPodPointsAtPodvisorPods() {
        var e = assertThrows(PodLookup.NoSuchPodException.class, () -> PodLookup.find(PODS, "ff"));
        assertTrue(e.getMessage().contains("no pod VM on this node matches 'ff'"), e.getMessage());
        assertTrue(e.getMessage().contains("`podvisor pods`"), e.getMessage());
        assertThrows(PodLookup.NoSuchPodException.class, () -> PodLookup.find(PODS, ""));
        assertThrows(PodLookup.NoSuchPodException.class, () -> PodLookup.find(List.of(), "aa"));
    }
}
