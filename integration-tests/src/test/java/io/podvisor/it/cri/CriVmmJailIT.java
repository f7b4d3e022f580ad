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
 * capability, chrooted into an empty directory; the pod works, and QEMU's user id is released when the pod is removed.
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
            Map<String, String> status = Files.readAllLines(proc.resolve("status")).stream()
                    .filter(l -> l.contains(":")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')),
                            l -> l.substring(l.indexOf(':') + 1).strip(), (a, b) -> a));
            uid = status.get("Uid").split("\\s+")[0];
            assertTrue(Long.parseLong(uid) >= 0x70000000L, "QEMU's uid " + status.get("Uid"));
            assertEquals(uid + "\t" + uid + "\t" + uid + "\t" + uid, status.get("Uid"), "real, effective, saved, fs");
            assertEquals("0000000000000000", status.get("CapEff"), "no capability left");
            assertEquals("2", status.get("Seccomp"), "seccomp filter mode");
            assertEquals(Path.of("/run/podvisor/vmm/root"), Files.readSymbolicLink(proc.resolve("root")));
            assertTrue(Files.exists(CLAIMS.resolve(uid)), "the uid is claimed while the pod runs");
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (Files.exists(CLAIMS.resolve(uid)) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(!Files.exists(CLAIMS.resolve(uid)), "the uid is released with the pod");
    }
}
