package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podvisor.it.containerd.OciImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** A pod's network both ways: its container pings the CNI bridge's gateway, the host pings the pod IP. */
final class PodReachability {
    private PodReachability() {
    }

    static void assertGatewayAndHostReach(CriPod pod, String container, CniBridge cni, String podIp, long execTimeout)
            throws IOException, InterruptedException {
        assertEquals(0, pod.exec(container, execTimeout, "ping", "-c", "1", "-W", "30", cni.subnetPrefix() + ".1")
                .getExitCode(), "the pod reaches its gateway");
        Process ping = new ProcessBuilder(OciImages.BUSYBOX.toString(), "ping", "-c", "1", "-w", "60", podIp)
                .redirectErrorStream(true).start();
        String pingOutput = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, ping.waitFor(), "host pings the pod IP " + podIp + ": " + pingOutput);
    }
}
