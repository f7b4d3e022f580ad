package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.HostProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A running pod's QEMU, seen from the host: under its seccomp filter, with a user id of its own and no root
 * capability, chrooted into an empty directory; its virtiofsd under seccomp in a root that is the pod's share; the
 * pod works, and QEMU's user id is released when the pod is removed.
 */
@Timeout(400)
class CriVmmJailIT {
    @RegisterExtension
    static final CriTestBedExtension BED = CriTestBedExtension.withPodvisor();
    private static final Path CLAIMS = Path.of("/run/podvisor/vmm/uids");

    @Test
    void thePodsQemuRunsAsItsOwnUserInAnEmptyRoot() throws Exception {
        String uid;
        try (CriPod pod = CriPod.run(BED.bed().cri(), "jailed", CriTestBed.PODVISOR_HANDLER, BED.bed().logDir("jailed"))) {
            String app = pod.startContainer("app", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "3600"));
            assertEquals("up", pod.exec(app, 60, "echo", "up").getStdout().toStringUtf8().strip());

            List<ProcessHandle> qemu = HostProcesses.mentioning("-name " + pod.id());
            assertEquals(1, qemu.size(), "one QEMU for the pod: " + qemu);
            Path proc = Path.of("/proc", Long.toString(qemu.getFirst().pid()));
            Map<String, String> status = status(proc);
            uid = status.get("Uid").split("\\s+")[0];
            assertTrue(Long.parseLong(uid) >= 0x70000000L, "QEMU's uid " + status.get("Uid"));
            assertEquals(uid + "\t" + uid + "\t" + uid + "\t" + uid, status.get("Uid"), "real, effective, saved, fs");
            assertEquals("0000000000000000", status.get("CapEff"), "no capability left");
            assertEquals("2", status.get("Seccomp"), "seccomp filter mode");
            assertEquals(Path.of("/run/podvisor/vmm/root"), Files.readSymbolicLink(proc.resolve("root")));
            assertTrue(Files.exists(CLAIMS.resolve(uid)), "the uid is claimed while the pod runs");
            assertVirtiofsdServesOnlyTheShareUnderSeccomp(app);
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (Files.exists(CLAIMS.resolve(uid)) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(!Files.exists(CLAIMS.resolve(uid)), "the uid is released with the pod");
    }

    /**
     * virtiofsd's server (the process it forks once QEMU connects) runs under a seccomp filter in a mount namespace of
     * its own whose root is the pod's share: the container's root file system is there and the host's files are not.
     */
    private static void assertVirtiofsdServesOnlyTheShareUnderSeccomp(String containerId) throws Exception {
        List<ProcessHandle> virtiofsd = HostProcesses.mentioning("/run/podvisor/pods/").stream()
                .filter(p -> HostProcesses.cmdline(p).contains("virtiofsd")).toList();
        List<ProcessHandle> servers = virtiofsd.stream()
                .filter(p -> p.parent().map(virtiofsd::contains).orElse(false)).toList();
        assertEquals(1, servers.size(), "one sandboxed virtiofsd server for the pod: " + virtiofsd.stream()
                .map(HostProcesses::cmdline).toList());
        Path proc = Path.of("/proc", Long.toString(servers.getFirst().pid()));
        assertEquals("2", status(proc).get("Seccomp"), "virtiofsd's seccomp filter mode");
        assertTrue(!Files.readSymbolicLink(proc.resolve("ns/mnt")).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt"))),
                "virtiofsd has a mount namespace of its own");
        List<String> root;
        try (var entries = Files.list(proc.resolve("root"))) {
            root = entries.map(e -> e.getFileName().toString()).toList();
        }
        assertTrue(root.contains(containerId), "the container's root file system is in virtiofsd's root: " + root);
        assertTrue(!root.contains("etc") && !root.contains("usr") && !root.contains("run"),
                "no host directory is in virtiofsd's root: " + root);
    }

    private static Map<String, String> status(Path proc) throws java.io.IOException {
        return Files.readAllLines(proc.resolve("status")).stream()
                .filter(l -> l.contains(":")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')),
                        l -> l.substring(l.indexOf(':') + 1).strip(), (a, b) -> a));
    }
}
