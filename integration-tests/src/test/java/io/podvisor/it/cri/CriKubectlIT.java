package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.containerd.ContainerdRelease;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What kubectl does beyond exec and logs, on podvisor pods through containerd's CRI and its streaming server,
 * on containerd 1.7 and 2.1: port-forward, attach, and the pod's stats.
 */
@Timeout(600)
@ParameterizedClass
@EnumSource(ContainerdRelease.class)
class CriKubectlIT {
    private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(120);
    private static final long EXEC_TIMEOUT = 120;
    private static CriTestBed bed;

    @Parameter
    ContainerdRelease release;

    @BeforeParameterizedClassInvocation
    static void start(ContainerdRelease release) throws Exception {
        bed = CriTestBed.start(release, true);
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (bed != null) {
            bed.close();
            bed = null;
        }
    }

    @Test
    void portForwardReachesAnyPortOnThePodsLocalhostInTheGuest() throws Exception {
        try (CriPod pod = CriPod.run(bed.cri(), "forwarded", CriTestBed.PODVISOR_HANDLER, bed.logDir("forwarded"))) {
            // One server on every address, one on the guest's loopback only (which no pod-IP route reaches).
            String web = pod.startContainer("web", CriTestBed.BUSYBOX_IMAGE, List.of("sh", "-c",
                    "mkdir -p /tmp/www && echo served-on-8080 > /tmp/www/index.html && httpd -p 8080 -h /tmp/www"
                            + " && mkdir -p /tmp/local && echo loopback-only > /tmp/local/index.html"
                            + " && exec httpd -f -p 127.0.0.1:31337 -h /tmp/local"));
            assertEquals(0, pod.exec(web, EXEC_TIMEOUT, "sh", "-c", "for i in $(seq 60); do"
                    + " wget -q -O /dev/null http://127.0.0.1:8080/ && wget -q -O /dev/null http://127.0.0.1:31337/ && exit 0;"
                    + " sleep 1; done; exit 1").getExitCode(), "both servers answer inside the pod");

            assertTrue(get(pod, 8080).endsWith("\r\n\r\nserved-on-8080\n"), "port 8080");
            StreamingPortForward.Result local = forward(pod, 31337);
            assertTrue(local.data().startsWith("HTTP/1.") && local.data().endsWith("\r\n\r\nloopback-only\n"),
                    "port 31337 on the guest's 127.0.0.1: " + local);
            // Connections one after another each reach the port.
            for (int i = 0; i < 3; i++) {
                assertTrue(get(pod, 8080).endsWith("served-on-8080\n"));
            }

            StreamingPortForward.Result closed = forward(pod, 8081);
            assertEquals("", closed.data(), "nothing listens on 8081: the connection ends without data");
        }
    }

    /** An HTTP/1.0 GET of / through port-forward: the server closes the connection after its answer. */
    private static String get(CriPod pod, int port) throws Exception {
        StreamingPortForward.Result result = forward(pod, port);
        assertTrue(result.data().startsWith("HTTP/1.0 200") || result.data().startsWith("HTTP/1.1 200"),
                "port " + port + ": " + result);
        return result.data();
    }

    private static StreamingPortForward.Result forward(CriPod pod, int port) throws Exception {
        try (StreamingPortForward forward = pod.portForward(port)) {
            forward.send("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
            return forward.awaitClose(STREAM_TIMEOUT);
        }
    }

    private static String stdout(ExecSyncResponse response) {
        assertEquals(0, response.getExitCode(), response.getStderr().toStringUtf8());
        return response.getStdout().toStringUtf8();
    }
}
