package io.podvisor.it.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's counts on this host's real /proc and /sys, with this JVM standing in for containerd. */
class NodeCountsTest {
    private static final long SELF = ProcessHandle.current().pid();

    @Test
    void aFileLeftUnderTheRunDirectoryIsALeak(@TempDir Path runDir) throws Exception {
        Files.createDirectories(runDir.resolve("pods"));
        NodeCounts before = NodeCounts.take(runDir, SELF, "no-such-bridge");
        Files.writeString(runDir.resolve("pods/left-behind"), "x");

        Map<String, Long> delta = NodeCounts.take(runDir, SELF, "no-such-bridge").minus(before);

        assertEquals(1, delta.get(NodeCounts.RUN_DIR_FILES));
        assertTrue(NodeCounts.leaks(delta) >= 1, delta.toString());
    }

    @Test
    void anOpenDescriptorOfTheWatchedProcessIsALeakAndClosingItEndsIt(@TempDir Path runDir) throws Exception {
        NodeCounts before = NodeCounts.take(runDir, SELF, "no-such-bridge");
        try (var channel = Files.newByteChannel(Files.writeString(runDir.resolve("open"), "x"))) {
            assertTrue(NodeCounts.take(runDir, SELF, "no-such-bridge").minus(before).get(NodeCounts.CONTAINERD_FDS) >= 1);
        }
    }

    @Test
    void theTestBedsBridgeIsNotCounted(@TempDir Path runDir) throws Exception {
        String device;
        try (var devices = Files.list(Path.of("/sys/class/net"))) {
            device = devices.findFirst().orElseThrow().getFileName().toString();
        }
        assertEquals(1, NodeCounts.take(runDir, SELF, "no-such-bridge").counts().get(NodeCounts.NET_DEVICES)
                - NodeCounts.take(runDir, SELF, device).counts().get(NodeCounts.NET_DEVICES));
    }

    @Test
    void rssGrowthIsShownButNotCountedAsALeak() {
        assertEquals(0, NodeCounts.leaks(Map.of(NodeCounts.CONTAINERD_RSS_MIB, 40L, NodeCounts.MOUNTS, 0L)));
        assertEquals(2, NodeCounts.leaks(Map.of(NodeCounts.MOUNTS, 2L, NodeCounts.NETNS, -1L)));
    }
}
