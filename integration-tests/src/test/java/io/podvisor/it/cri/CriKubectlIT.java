package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.podvisor.proto.cri.v1.ContainerState;
import io.podvisor.proto.cri.v1.ContainerStatus;
import io.podvisor.proto.cri.v1.ListMetricDescriptorsRequest;
import io.podvisor.proto.cri.v1.ListPodSandboxMetricsRequest;
import io.podvisor.proto.cri.v1.ListPodSandboxStatsRequest;
import io.podvisor.proto.cri.v1.PodSandboxStats;
import io.podvisor.proto.cri.v1.PodSandboxStatsFilter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What kubectl does beyond exec and logs, on podvisor pods through containerd's CRI and its streaming server,
 * on containerd 1.7 and 2.1: port-forward, attach, and the pod's stats and metrics.
 */
class CriKubectlIT extends OnEachContainerdRelease {
    private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(120);
    private static final long EXEC_TIMEOUT = 120;

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

    @Test
    void attachFeedsAContainersStdinAndShowsItsOutputWithAndWithoutATerminal() throws Exception {
        try (CriPod pod = CriPod.run(bed.cri(), "attached", CriTestBed.PODVISOR_HANDLER, bed.logDir("attached"))) {
            String reader = pod.startContainer(CriPod.container("reader", CriTestBed.BUSYBOX_IMAGE, List.of("sh", "-c",
                    "while read line; do echo \"got $line\"; echo \"err $line\" >&2; [ \"$line\" = bye ] && exit 3; done"))
                    .setStdin(true));
            try (StreamingExec attached = pod.attach(reader, false)) {
                attached.stdin("hello\n");
                attached.stdin("bye\n");
                // The attach ends when the container's output does: it exited.
                assertEquals(new StreamingExec.Result("got hello\ngot bye\n", "err hello\nerr bye\n", 0),
                        attached.await(STREAM_TIMEOUT));
            }
            ContainerStatus reading = await(pod, reader);
            assertEquals(3, reading.getExitCode());

            // kubectl attach -it: a terminal whose size follows the client's (ResizePty of the container's process).
            String shell = pod.startContainer(CriPod.container("shell", CriTestBed.BUSYBOX_IMAGE, List.of("sh"))
                    .setStdin(true).setTty(true));
            try (StreamingExec attached = pod.attach(shell, true)) {
                attached.resize(100, 30);
                attached.stdin("for i in $(seq 100); do [ \"$(stty size)\" = '30 100' ] && break; sleep 0.2; done;"
                        + " echo \"size $(stty size) on $(tty)\"; exit 5\n");
                StreamingExec.Result result = attached.await(STREAM_TIMEOUT);
                assertTrue(result.stdout().contains("size 30 100 on /dev/pts/"), result.stdout());
            }
            assertEquals(5, await(pod, shell).getExitCode());

            // kubectl run -i --rm: stdin once, closed when the client leaves (CloseIO), and the container sees EOF.
            String once = pod.startContainer(CriPod.container("once", CriTestBed.BUSYBOX_IMAGE, List.of("sh", "-c",
                    "cat; echo stdin-closed")).setStdin(true).setStdinOnce(true));
            try (StreamingExec attached = pod.attach(once, false)) {
                attached.stdin("one line\n");
                attached.awaitStdout("one line\n", STREAM_TIMEOUT);
            }
            assertEquals(0, await(pod, once).getExitCode());
            List<String> log = Files.readAllLines(pod.logFile("once"));
            assertTrue(log.getLast().endsWith(" stdout F stdin-closed"), "log: " + log);
        }
    }

    @Test
    void podStatsShowWhatThePodsVmCostsTheHost() throws Exception {
        String parent = "/podvisor-it-" + UUID.randomUUID();
        try (CriPod pod = CriPod.run(bed.cri(), "measured", CriTestBed.PODVISOR_HANDLER, bed.logDir("measured"), parent)) {
            String busy = pod.startContainer("busy", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));
            PodSandboxStats stats = pod.podStats();
            assertEquals(pod.id(), stats.getAttributes().getId());
            assertEquals("measured", stats.getAttributes().getMetadata().getName());
            // The VM's host processes (QEMU, virtiofsd) are in the pod's cgroup: a booted guest has cost CPU
            // time and tens of MiB of host memory.
            long cpuNanos = stats.getLinux().getCpu().getUsageCoreNanoSeconds().getValue();
            long memory = stats.getLinux().getMemory().getWorkingSetBytes().getValue();
            assertTrue(cpuNanos > 1_000_000_000L, "pod CPU time " + cpuNanos + " ns: " + stats);
            assertTrue(memory > 32L << 20, "pod working set " + memory + " bytes: " + stats);
            assertEquals(List.of(busy), stats.getLinux().getContainersList().stream()
                    .map(c -> c.getAttributes().getId()).toList());
            assertTrue(stats.getLinux().getProcess().getProcessCount().getValue() >= 1, stats.toString());

            PodSandboxStats later = pod.podStats();
            assertTrue(later.getLinux().getCpu().getUsageCoreNanoSeconds().getValue() >= cpuNanos, "CPU time grows");
            assertEquals(List.of(pod.id()), bed.cri().runtime().listPodSandboxStats(ListPodSandboxStatsRequest
                    .newBuilder().setFilter(PodSandboxStatsFilter.newBuilder().setId(pod.id())).build())
                    .getStatsList().stream().map(s -> s.getAttributes().getId()).toList());

            // kubelet's /metrics/cadvisor replacement asks for ListMetricDescriptors and ListPodSandboxMetrics.
            // containerd 1.7.24 (pkg/cri/server/list_pod_sandbox_metrics.go) and 2.1.9
            // (internal/cri/server/list_pod_sandbox_metrics.go) answer both with Unimplemented for every pod,
            // whatever the runtime: the RPCs never reach the shim. containerd 2.2.0 is the first to implement them.
            assertUnimplemented("ListPodSandboxMetrics", () -> bed.cri().runtime()
                    .listPodSandboxMetrics(ListPodSandboxMetricsRequest.getDefaultInstance()));
            assertUnimplemented("ListMetricDescriptors", () -> bed.cri().runtime()
                    .listMetricDescriptors(ListMetricDescriptorsRequest.getDefaultInstance()));
        } finally {
            HostCgroups.remove(parent);
        }
    }

    private void assertUnimplemented(String rpc, Runnable call) {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, call::run,
                rpc + " on " + release);
        assertEquals(Status.Code.UNIMPLEMENTED, refused.getStatus().getCode(), rpc + " on " + release + ": " + refused);
        assertEquals("method " + rpc + " not implemented", refused.getStatus().getDescription(), release.toString());
    }

    private static ContainerStatus await(CriPod pod, String containerId) throws InterruptedException {
        long deadline = System.nanoTime() + STREAM_TIMEOUT.toNanos();
        ContainerStatus status = pod.containerStatus(containerId);
        while (status.getState() != ContainerState.CONTAINER_EXITED) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("container " + containerId + " did not exit; last: " + status);
            }
            Thread.sleep(250);
            status = pod.containerStatus(containerId);
        }
        return status;
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
}
