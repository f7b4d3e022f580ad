package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.containerd.OciImages;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.PodSandboxState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A pod with runtime handler "podvisor" through containerd's CRI: the sandbox is a VM. */
@Timeout(600)
class CriPodvisorIT {
    private static final Path POD_DIRS = Path.of("/run/podvisor/pods");
    private static CriTestBed bed;

    @BeforeAll
    static void start() throws Exception {
        bed = CriTestBed.start(true);
    }

    @AfterAll
    static void stop() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void containerOfAPodvisorPodRunsOnTheGuestKernelWithThePodIp() throws Exception {
        String podId;
        try (CriPod pod = CriPod.run(bed.cri(), "vm-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("vm-pod"))) {
            podId = pod.id();
            assertEquals(PodSandboxState.SANDBOX_READY, pod.status().getStatus().getState());
            String container = pod.startContainer("main", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));

            ExecSyncResponse uname = pod.exec(container, 120, "uname", "-r");
            assertEquals(0, uname.getExitCode(), uname.getStderr().toStringUtf8() + "\n" + bed.containerd().logTail());
            String guestRelease = uname.getStdout().toStringUtf8().strip();
            assertTrue(guestRelease.endsWith("-cloud-amd64"), "guest kernel: " + guestRelease);
            assertNotEquals(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(), guestRelease);
            ExecSyncResponse failing = pod.exec(container, 120, "sh", "-c", "echo out; exit 7");
            assertEquals(7, failing.getExitCode());
            assertEquals("out\n", failing.getStdout().toStringUtf8());

            String podIp = pod.status().getStatus().getNetwork().getIp();
            assertTrue(podIp.startsWith(bed.cni().subnetPrefix() + "."), "pod IP from CNI: " + podIp);
            ExecSyncResponse eth0 = pod.exec(container, 120, "ip", "-4", "-o", "addr", "show", "dev", "eth0");
            assertEquals(0, eth0.getExitCode(), eth0.getStderr().toStringUtf8());
            assertTrue(eth0.getStdout().toStringUtf8().contains(" " + podIp + "/"), "guest eth0: " + eth0.getStdout().toStringUtf8());
            Process ping = new ProcessBuilder(OciImages.BUSYBOX.toString(), "ping", "-c", "1", "-w", "60", podIp).redirectErrorStream(true).start();
            String pingOutput = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, ping.waitFor(), "host pings the pod IP " + podIp + ": " + pingOutput);

            // httpd without -f binds, then daemonizes: once the exec returns, it listens.
            ExecSyncResponse httpd = pod.exec(container, 120, "sh", "-c",
                    "mkdir -p /tmp/www && echo served-from-the-vm > /tmp/www/index.html && httpd -p 8080 -h /tmp/www");
            assertEquals(0, httpd.getExitCode(), httpd.getStderr().toStringUtf8());
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(60)).build()) {
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://" + podIp + ":8080/index.html"))
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, page.statusCode(), page.body());
                assertEquals("served-from-the-vm\n", page.body());
            }
        }
        // The shim, VMM and virtiofsd may still be on their way out once RemovePodSandbox returns.
        for (ProcessHandle process : ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(podId)).toList()) {
            try {
                process.onExit().get(30, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("process of pod " + podId + " left behind: " + process.info().commandLine().orElse("?"));
            }
        }
        assertFalse(Files.exists(POD_DIRS.resolve(podId)), "pod directory left behind: " + POD_DIRS.resolve(podId));
    }
}
