package io.podvisor.it.critest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CritestSummaryTest {
    @TempDir
    Path dir;

    private static String spec(String container, String leaf, String state, String failure) {
        return """
                {"ContainerHierarchyTexts": ["[k8s.io] %s"], "LeafNodeType": "It", "LeafNodeText": "%s",
                 "State": "%s", "Failure": {"Message": "%s"}}""".formatted(container, leaf, state, failure);
    }

    private void report(String name, String... specs) throws IOException {
        Files.writeString(dir.resolve(name), "[{\"SpecReports\": [" + String.join(",", specs) + "]}]");
    }

    @Test
    void eachSpecCountsOnceWithTheRunThatRanIt() throws IOException {
        report("runc.1.json", spec("Pod", "runs", "passed", ""), spec("Net", "host network", "skipped", ""),
                spec("Net", "dns", "skipped", ""));
        report("runc.2.json", spec("Pod", "runs", "skipped", ""), spec("Net", "host network", "passed", ""),
                spec("Net", "dns", "failed", "no resolv.conf"));
        report("podvisor.1.json", spec("Pod", "runs", "passed", ""), spec("Net", "host network", "skipped", ""),
                spec("Net", "dns", "skipped", ""));
        report("podvisor.2.json", spec("Pod", "runs", "skipped", ""), spec("Net", "host network", "skipped", ""),
                spec("Net", "dns", "skipped", ""));
        report("podvisor.3.json", spec("Pod", "runs", "failed", "no VM"));
        Files.writeString(dir.resolve("skip.txt"), "# comment\nhost network -- a VM has its own network stack\n");
        SkipList skips = SkipList.read(dir.resolve("skip.txt"));

        CritestSummary summary = CritestSummary.read(dir);

        assertEquals(List.of("podvisor", "runc"), summary.handlers());
        assertEquals(new CritestSummary.Counts(2, 1, 0, 0), summary.counts("runc", SkipList.none()));
        assertEquals(new CritestSummary.Counts(0, 1, 1, 1), summary.counts("podvisor", skips));
        assertEquals("no resolv.conf", summary.failures("runc").getFirst().failure());
        assertEquals(List.of("[k8s.io] Pod runs"), summary.regressions("runc", "podvisor", skips));
        assertEquals(List.of("[k8s.io] Pod runs"), summary.regressions("runc", "podvisor", SkipList.none()),
                "host network did not run with podvisor: not a regression");
    }

    @Test
    void aSkipListLineWithoutAReasonIsRefusedWithItsLine() throws IOException {
        Files.writeString(dir.resolve("skip.txt"), "HostPID\n");
        IOException e = assertThrows(IOException.class, () -> SkipList.read(dir.resolve("skip.txt")));
        assertTrue(e.getMessage().contains("skip.txt:1"), e.getMessage());
    }

    @Test
    void skipListBecomesGinkgoSkipArguments() throws IOException {
        Files.writeString(dir.resolve("skip.txt"), "HostIpc is true -- host IPC namespace\n");
        assertEquals(List.of("--ginkgo.skip=HostIpc is true"), SkipList.read(dir.resolve("skip.txt")).ginkgoSkipArgs());
        assertEquals("host IPC namespace", SkipList.read(dir.resolve("skip.txt")).reason("x HostIpc is true").orElseThrow());
    }
}
