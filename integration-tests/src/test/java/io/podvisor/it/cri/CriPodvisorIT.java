package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.containerd.ContainerdRelease;
import io.podvisor.proto.cri.v1.Container;
import io.podvisor.proto.cri.v1.ContainerState;
import io.podvisor.proto.cri.v1.ContainerStats;
import io.podvisor.proto.cri.v1.ContainerStatus;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.grpc.StatusRuntimeException;
import io.podvisor.proto.cri.v1.LinuxContainerConfig;
import io.podvisor.proto.cri.v1.LinuxContainerResources;
import io.podvisor.proto.cri.v1.ListPodSandboxRequest;
import io.podvisor.proto.cri.v1.Mount;
import io.podvisor.proto.cri.v1.PodSandboxState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Pods with runtime handler "podvisor" through containerd's CRI, on containerd 1.7 and 2.1: the sandbox is a VM. */
class CriPodvisorIT extends OnEachContainerdRelease {
    private static final long EXEC_TIMEOUT = 120;

    @Test
    void twoContainersShareTheGuestKernelThePodIpAndLocalhost() throws Exception {
        String podId;
        Path netns;
        try (CriPod pod = CriPod.run(bed.cri(), "two-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("two-pod"))) {
            podId = pod.id();
            netns = pod.netnsPath();
            assertEquals(PodSandboxState.SANDBOX_READY, pod.status().getStatus().getState());
            String web = pod.startContainer("web", CriTestBed.BUSYBOX_IMAGE, List.of("sh", "-c",
                    "mkdir -p /tmp/www && echo served-from-the-vm > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"));
            String client = pod.startContainer("client", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"));
            assertEquals(List.of(ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_RUNNING),
                    pod.containers().stream().map(Container::getState).toList());

            String hostRelease = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
            String webRelease = stdout(pod.exec(web, EXEC_TIMEOUT, "uname", "-r")).strip();
            assertTrue(webRelease.endsWith("-cloud-amd64"), "guest kernel: " + webRelease);
            assertNotEquals(hostRelease, webRelease);
            assertEquals(webRelease, stdout(pod.exec(client, EXEC_TIMEOUT, "uname", "-r")).strip());

            // As in Kubernetes: one IPC and one UTS namespace for the pod, a cgroup namespace per container.
            for (String namespace : List.of("ipc", "uts")) {
                String link = "/proc/self/ns/" + namespace;
                assertEquals(stdout(pod.exec(web, EXEC_TIMEOUT, "readlink", link)), stdout(pod.exec(client, EXEC_TIMEOUT, "readlink", link)));
            }
            assertEquals("two-pod\n", stdout(pod.exec(client, EXEC_TIMEOUT, "hostname")));
            // containerd 2.x gives every sandbox net.ipv4.ip_unprivileged_port_start = 0: set in the pod's (the guest's)
            // network namespace; 1.7 leaves the kernel's default.
            String portStart = release == ContainerdRelease.V1_7 ? "1024\n" : "0\n";
            assertEquals(portStart, stdout(pod.exec(client, EXEC_TIMEOUT, "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start")));
            assertEquals("0::/\n", stdout(pod.exec(client, EXEC_TIMEOUT, "cat", "/proc/self/cgroup")));

            String podIp = pod.status().getStatus().getNetwork().getIp();
            assertTrue(podIp.startsWith(bed.cni().subnetPrefix() + "."), "pod IP from CNI: " + podIp);
            for (String container : List.of(web, client)) {
                String eth0 = stdout(pod.exec(container, EXEC_TIMEOUT, "ip", "-4", "-o", "addr", "show", "dev", "eth0"));
                assertTrue(eth0.contains(" " + podIp + "/"), "eth0 of container " + container + ": " + eth0);
            }

            ExecSyncResponse failing = pod.exec(client, EXEC_TIMEOUT, "sh", "-c", "echo out; echo err >&2; exit 7");
            assertEquals(7, failing.getExitCode());
            assertEquals("out\n", failing.getStdout().toStringUtf8());
            assertEquals("err\n", failing.getStderr().toStringUtf8());

            try (StreamingExec shell = pod.streamingExec(client, true, "sh")) {
                shell.stdin("tty; echo $((6 * 7)); exit 3\n");
                StreamingExec.Result result = shell.await(Duration.ofSeconds(EXEC_TIMEOUT));
                assertEquals(3, result.exitCode(), result.toString());
                assertTrue(result.stdout().contains("/dev/pts/") && result.stdout().contains("42\r\n"), result.stdout());
            }
            try (StreamingExec plain = pod.streamingExec(web, false, "sh", "-c", "echo out; echo err >&2; exit 5")) {
                assertEquals(new StreamingExec.Result("out\n", "err\n", 5), plain.await(Duration.ofSeconds(EXEC_TIMEOUT)));
            }

            // httpd may still be starting: the client retries for a minute.
            assertEquals("served-from-the-vm\n", stdout(pod.exec(client, EXEC_TIMEOUT, "sh", "-c",
                    "for i in $(seq 60); do wget -q -O - http://127.0.0.1:8080/index.html && exit 0; sleep 1; done; exit 1")));
            PodReachability.assertGatewayAndHostReach(pod, client, bed.cni(), podIp, EXEC_TIMEOUT);
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(60)).build()) {
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://" + podIp + ":8080/index.html"))
                        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, page.statusCode(), page.body());
                assertEquals("served-from-the-vm\n", page.body());
            }
        }
        PodLeftovers.assertNoneOf(podId, netns, bed.cni());
    }

    @Test
    void containersReportStatsTakeNewLimitsAndStopAfterTheirGracePeriod() throws Exception {
        String podId;
        Path netns;
        try (CriPod pod = CriPod.run(bed.cri(), "life-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("life-pod"))) {
            podId = pod.id();
            netns = pod.netnsPath();
            String busy = pod.startContainer("busy", CriTestBed.BUSYBOX_IMAGE, List.of("sh", "-c",
                    "trap '' TERM; echo spinning; while :; do :; done"));
            String once = pod.startContainer("once", CriTestBed.BUSYBOX_IMAGE, List.of("sh", "-c",
                    "echo to-stdout; echo to-stderr >&2; exit 3"));

            ContainerStats stats = await("CPU time of container " + busy, () -> pod.stats(busy),
                    s -> s.getCpu().getUsageCoreNanoSeconds().getValue() > 200_000_000L);
            assertTrue(stats.getMemory().getWorkingSetBytes().getValue() > 0, "working set: " + stats.getMemory());
            assertEquals(busy, stats.getAttributes().getId());

            pod.updateResources(busy, LinuxContainerResources.newBuilder()
                    .setMemoryLimitInBytes(96L << 20).setCpuPeriod(100_000).setCpuQuota(50_000).build());
            assertEquals(String.valueOf(96L << 20), ownCgroupFile(pod, busy, "memory.max"));
            assertEquals("50000 100000", ownCgroupFile(pod, busy, "cpu.max"));

            ContainerStatus exited = await("exit of container " + once, () -> pod.containerStatus(once),
                    s -> s.getState() == ContainerState.CONTAINER_EXITED);
            assertEquals(3, exited.getExitCode());
            assertEquals("Error", exited.getReason());
            List<String> log = Files.readAllLines(pod.logFile("once"));
            assertEquals(1, log.stream().filter(l -> l.endsWith(" stdout F to-stdout")).count(), "log: " + log);
            assertEquals(1, log.stream().filter(l -> l.endsWith(" stderr F to-stderr")).count(), "log: " + log);
            assertEquals(2, log.size(), "log: " + log);

            long start = System.nanoTime();
            pod.stopContainer(busy, 3);
            Duration stopping = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(stopping.compareTo(Duration.ofMillis(2900)) >= 0, "stopped before the grace period: " + stopping);
            assertTrue(stopping.compareTo(Duration.ofSeconds(60)) < 0, "stop took " + stopping);
            ContainerStatus killed = pod.containerStatus(busy);
            assertEquals(ContainerState.CONTAINER_EXITED, killed.getState());
            assertEquals(137, killed.getExitCode(), "TERM is ignored, KILL ends it");
        }
        PodLeftovers.assertNoneOf(podId, netns, bed.cni());
    }

    @Test
    void aPodWithAMemoryLimitBelowTheMinimumIsRefusedAndLeavesNothing() throws Exception {
        PodLeftovers leftovers = PodLeftovers.snapshot();
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> CriPod.run(bed.cri(),
                "tiny-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("tiny-pod"), memoryLimit(4)));
        String message = refused.getStatus().getDescription();
        assertTrue(message.contains("(default/tiny-pod) has a memory limit of 4 MiB, below the minimum of 16 MiB")
                && message.contains("min_pod_memory_mib"), message);
        assertEquals(List.of(), bed.cri().runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
                .getItemsList().stream().filter(p -> p.getState() == PodSandboxState.SANDBOX_READY).toList());
        leftovers.assertNoPodLeft(bed.cni());
    }

    @Test
    void aSizedPodGetsItsVolumesAndRefusesBadContainersWhileItsOtherContainerRuns() throws Exception {
        Path volumes = Files.createDirectories(bed.containerd().dir().resolve("volumes"));
        Path data = Files.createDirectories(volumes.resolve("data"));
        Path config = Files.createDirectories(volumes.resolve("config"));
        Files.writeString(config.resolve("setting"), "from-the-host\n");
        String podId;
        Path netns;
        LinuxContainerResources oneCpu = memoryLimit(64).toBuilder().setCpuPeriod(100_000).setCpuQuota(100_000).build();
        try (CriPod pod = CriPod.run(bed.cri(), "sized-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("sized-pod"), oneCpu)) {
            podId = pod.id();
            netns = pod.netnsPath();
            String keeper = pod.startContainer(CriPod.container("keeper", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "600"))
                    .addMounts(Mount.newBuilder().setHostPath(data.toString()).setContainerPath("/data"))
                    .addMounts(Mount.newBuilder().setHostPath(config.toString()).setContainerPath("/config").setReadonly(true)));

            // 64 MiB for the containers plus the guest's own 160 MiB; the kernel keeps some of it.
            assertEquals("1", stdout(pod.exec(keeper, EXEC_TIMEOUT, "nproc")).strip());
            long memTotalKiB = Long.parseLong(stdout(pod.exec(keeper, EXEC_TIMEOUT, "sh", "-c",
                    "grep MemTotal /proc/meminfo | tr -dc 0-9")).strip());
            assertTrue(memTotalKiB > 180 * 1024 && memTotalKiB <= 224 * 1024, "guest MemTotal " + memTotalKiB + " KiB");
            assertEquals("sized-pod", stdout(pod.exec(keeper, EXEC_TIMEOUT, "hostname")).strip());
            // The files the CRI writes for the pod: without DNS settings, resolv.conf is the host's.
            assertEquals("sized-pod\n", stdout(pod.exec(keeper, EXEC_TIMEOUT, "cat", "/etc/hostname")));
            assertEquals(Files.readString(Path.of("/etc/resolv.conf")), stdout(pod.exec(keeper, EXEC_TIMEOUT, "cat", "/etc/resolv.conf")));
            assertTrue(stdout(pod.exec(keeper, EXEC_TIMEOUT, "cat", "/etc/hosts")).contains("localhost"));

            assertEquals("from-the-host\n", stdout(pod.exec(keeper, EXEC_TIMEOUT, "cat", "/config/setting")));
            ExecSyncResponse readOnly = pod.exec(keeper, EXEC_TIMEOUT, "touch", "/config/new");
            assertNotEquals(0, readOnly.getExitCode(), "a read-only volume took a write");
            assertFalse(Files.exists(config.resolve("new")));
            stdout(pod.exec(keeper, EXEC_TIMEOUT, "sh", "-c", "echo from-the-pod > /data/out"));
            assertEquals("from-the-pod\n", Files.readString(data.resolve("out")));

            // Over its own memory limit, a container is OOM-killed in the guest and the CRI says so, as with runc.
            String hog = pod.startContainer(CriPod.container("hog", CriTestBed.BUSYBOX_IMAGE, List.of("tail", "/dev/zero"))
                    .setLinux(LinuxContainerConfig.newBuilder().setResources(memoryLimit(24))));
            ContainerStatus oomKilled = await("the OOM kill of container " + hog, () -> pod.containerStatus(hog),
                    s -> s.getState() == ContainerState.CONTAINER_EXITED && !s.getReason().isEmpty());
            assertEquals(137, oomKilled.getExitCode(), oomKilled.toString());
            assertEquals("OOMKilled", oomKilled.getReason(), oomKilled.toString());
            assertEquals(ContainerState.CONTAINER_RUNNING, pod.containerStatus(keeper).getState(), "the pod's other container");
            pod.removeContainer(hog);

            // Log rotation as kubelet does it: rename the log file, ReopenContainerLog, and the output goes on in a new file.
            String talker = pod.startContainer("talker", CriTestBed.BUSYBOX_IMAGE, List.of("sh", "-c",
                    "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.2; done"));
            Path log = pod.logFile("talker");
            await("the first line of " + log, () -> linesOf(log), lines -> lines.stream().anyMatch(l -> l.endsWith(" tick-1")));
            Path rotated = Files.move(log, log.resolveSibling("talker.log.1"));
            pod.reopenLog(talker);
            List<String> fresh = await("lines in the reopened " + log, () -> linesOf(log), lines -> lines.size() >= 2);
            assertTrue(fresh.stream().allMatch(l -> l.contains(" stdout F tick-")), "new log: " + fresh);
            assertTrue(Files.readAllLines(rotated).stream().noneMatch(fresh::contains), "the rotated file has only older lines");
            pod.stopContainer(talker, 0);
            pod.removeContainer(talker);

            // containerd 1.7 makes the task, and so asks the shim, at StartContainer.
            String tiny = pod.createContainer(CriPod.container("tiny", CriTestBed.BUSYBOX_IMAGE, List.of("true"))
                    .setLinux(LinuxContainerConfig.newBuilder().setResources(memoryLimit(2))));
            StatusRuntimeException tooSmall = assertThrows(StatusRuntimeException.class, () -> pod.start(tiny));
            String message = tooSmall.getStatus().getDescription();
            assertTrue(message.contains("container " + tiny + " (tiny) of pod " + podId + " (default/sized-pod) has a memory"
                    + " limit of 2 MiB, below the minimum of 16 MiB") && message.contains("raise the container's memory limit"),
                    message);
            pod.removeContainer(tiny);

            // containerd makes a volume's missing host path at CreateContainer; one removed after that is the shim's to find.
            Path vanishing = Files.createDirectories(volumes.resolve("vanishing"));
            String late = pod.createContainer(CriPod.container("late", CriTestBed.BUSYBOX_IMAGE, List.of("true"))
                    .addMounts(Mount.newBuilder().setHostPath(vanishing.toString()).setContainerPath("/vanishing")));
            Files.delete(vanishing);
            StatusRuntimeException badVolume = assertThrows(StatusRuntimeException.class, () -> pod.start(late));
            assertTrue(badVolume.getStatus().getDescription().contains("container " + late + " (late) of pod " + podId
                    + " (default/sized-pod): the host path " + vanishing + " of its mount at /vanishing does not exist"),
                    badVolume.getStatus().getDescription());
            pod.removeContainer(late);

            assertEquals(List.of("keeper"), pod.containers().stream().map(c -> c.getMetadata().getName()).toList());
            assertEquals(ContainerState.CONTAINER_RUNNING, pod.containerStatus(keeper).getState());
            assertEquals("still-here\n", stdout(pod.exec(keeper, EXEC_TIMEOUT, "echo", "still-here")));
        }
        PodLeftovers.assertNoneOf(podId, netns, bed.cni());
    }

    private static LinuxContainerResources memoryLimit(long mib) {
        return LinuxContainerResources.newBuilder().setMemoryLimitInBytes(mib << 20).build();
    }

    /** A file of the container's own cgroup, as the container sees it. */
    private static String ownCgroupFile(CriPod pod, String container, String file) {
        return stdout(pod.exec(container, EXEC_TIMEOUT, "sh", "-c",
                "cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/" + file)).strip();
    }

    private static String stdout(ExecSyncResponse response) {
        assertEquals(0, response.getExitCode(), "stderr: " + response.getStderr().toStringUtf8()
                + "\ncontainerd log:\n" + bed.containerd().logTail());
        return response.getStdout().toStringUtf8();
    }

    /** A file's lines, none while it does not exist. */
    private static List<String> linesOf(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static <T> T await(String what, Supplier<T> poll, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        T value = poll.get();
        while (!done.test(value)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for " + what + "; last: " + value);
            }
            Thread.sleep(250);
            value = poll.get();
        }
        return value;
    }
}
