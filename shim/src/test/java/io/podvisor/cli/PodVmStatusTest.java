package io.podvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.shim.vm.PodInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pod directories as the shim leaves them, read with /proc; a shell whose command line names the dir plays the VMM. */
class PodVmStatusTest {
    @TempDir
    Path runDir;

    private Path podDir(String name, String podJson) throws Exception {
        Path dir = Files.createDirectories(PodInfo.podsDir(runDir).resolve(name));
        if (podJson != null) {
            Files.writeString(dir.resolve(PodInfo.FILE), podJson);
        }
        return dir;
    }

    private static String podJson(String id, long vmmPid) {
        return """
                {"id":"%s","namespace":"default","name":"web","vcpus":2,"memory_mib":416,"vmm_pid":%d,\
                "virtiofsd_pid":0}""".formatted(id, vmmPid);
    }

    @Test
    void aPodWhoseVmmRunsShowsItsMemoryCpuAndUptime() throws Exception {
        Path dir = podDir("0123456789abcdef", null);
        Process vmm = new ProcessBuilder("sh", "-c", "sleep 60; true", dir.toString()).start();
        try {
            Files.writeString(dir.resolve(PodInfo.FILE), podJson("f00dcafe", vmm.pid()));

            PodVmStatus pod = PodVmStatus.list(runDir, Instant.now().plusSeconds(5)).getFirst();

            assertEquals(PodVmStatus.RUNNING, pod.state());
            assertEquals("f00dcafe", pod.id());
            assertEquals("default/web", pod.podName());
            assertEquals(vmm.pid(), pod.vmmPid());
            assertEquals(416, pod.info().memoryMib());
            assertTrue(pod.host().rssKib() > 0 && pod.host().pssKib() > 0, pod.host().toString());
            assertTrue(pod.host().pssKib() <= pod.host().rssKib(), pod.host().toString());
            assertTrue(pod.uptime().compareTo(Duration.ofSeconds(4)) > 0, pod.uptime().toString());
        } finally {
            vmm.destroyForcibly().waitFor();
        }
    }

    @Test
    void aRecordedPidThatIsNoLongerThePodsProcessIsExited() throws Exception {
        // This JVM's command line does not name the pod directory: as when the VMM died and its pid was reused.
        podDir("0123456789abcdef", podJson("f00dcafe", ProcessHandle.current().pid()));

        PodVmStatus pod = PodVmStatus.list(runDir, Instant.now()).getFirst();

        assertEquals(PodVmStatus.EXITED, pod.state());
        assertEquals(ProcStats.NONE, pod.host());
    }

    @Test
    void aDirectoryWithoutPodJsonIsListedByItsNameAsUnknown() throws Exception {
        podDir("77e0f00d77e0f00d", null);

        List<PodVmStatus> pods = PodVmStatus.list(runDir, Instant.now());

        assertEquals(1, pods.size());
        assertEquals(PodVmStatus.UNKNOWN, pods.getFirst().state());
        assertEquals("77e0f00d77e0f00d", pods.getFirst().id());
    }

    @Test
    void anUnreadablePodJsonDoesNotHideTheOtherPods() throws Exception {
        podDir("0000000000000000", "{\"id\": \"trunc");
        podDir("1111111111111111", podJson("f00dcafe", ProcessHandle.current().pid()));

        List<PodVmStatus> pods = PodVmStatus.list(runDir, Instant.now());

        assertEquals(List.of(PodVmStatus.UNKNOWN, PodVmStatus.EXITED), pods.stream().map(PodVmStatus::state).toList());
    }

    @Test
    void noPodsDirectoryMeansNoPods() throws Exception {
        assertEquals(List.of(), PodVmStatus.list(runDir.resolve("absent"), Instant.now()));
    }
}
