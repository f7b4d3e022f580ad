package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.Checkout;
import io.podvisor.it.HostProcesses;
import io.podvisor.it.containerd.ContainerdRelease;
import io.podvisor.proto.cri.v1.LinuxContainerResources;
import io.podvisor.shim.WarmPool;
import io.podvisor.shim.WarmPoolPlan;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.vm.VmSandboxProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm pool through containerd's CRI: a node keeping one booted VM of the default shape. The first pod boots
 * cold and says why; its start fills the pool; a pod of another size boots cold and says why; the next pod takes
 * the warm VM, with its network, exec and logs as a cold pod's; the pool refills; after a guest image update the
 * pool's VM stops as stale and the next pod boots cold; {@code podvisor pool stop} ends the pool's VMs and nothing
 * is left.
 */
@Timeout(900)
class CriWarmPoolIT {
    private static final Duration POOL_READY = Duration.ofMinutes(3);
    private static final long EXEC_TIMEOUT = 60;

    @TempDir
    Path tmp;

    @Test
    void aPodTakesAWarmVmThePoolRefillsAndStopLeavesNothing() throws Exception {
        Path runDir = Files.createDirectories(tmp.resolve("run"));
        Path warmDir = runDir.resolve("warm");
        // The node's guest image through a link, so the test can "update" it: the link moves to a second directory.
        Path image = Files.createSymbolicLink(tmp.resolve("image"), PodvisorConfig.load().imageDir().toRealPath());
        Path config = Files.writeString(tmp.resolve("config.toml"), """
                image_dir = "%s"
                run_dir = "%s"

                [[pool]]
                vcpus = 2
                memory_mib = 256
                size = 1
                """.formatted(image, runDir));
        String options = "[" + ContainerdRelease.V1_7.runtimesSection() + ".podvisor.options]\n  ConfigPath = \""
                + config + "\"\n";
        try (CriTestBed bed = CriTestBed.start(ContainerdRelease.V1_7, true, options)) {
            try {
                String coldId;
                try (CriPod cold = CriPod.run(bed.cri(), "cold-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("cold-pod"))) {
                    coldId = cold.id();
                    assertTrue(log(bed).contains("pod " + coldId + " boots cold: no warm VM of its shape 2 vCPUs, 256 MiB"
                            + " is ready (0 booting, pool size 1)"), "the cold pod's shim log says why:\n" + bed.containerd().logTail());
                }
                String first = awaitReadyVm(warmDir, null);

                // A pod with a memory limit needs a VM of another size (64 MiB + the guest's 160): it boots cold.
                try (CriPod sized = CriPod.run(bed.cri(), "sized-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("sized-pod"),
                        LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64L << 20).build())) {
                    assertTrue(log(bed).contains("pod " + sized.id() + " boots cold: the warm pool keeps no VM of its shape"
                            + " 2 vCPUs, 224 MiB (it keeps 2 vCPUs, 256 MiB)"), "the sized pod's shim log says why:\n"
                            + bed.containerd().logTail());
                }
                assertTrue(Files.exists(warmDir.resolve(first + ".sock")), "the warm VM was left for a pod of its shape");

                String podId;
                Path netns;
                String refill;
                try (CriPod pod = CriPod.run(bed.cri(), "warm-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("warm-pod"))) {
                    podId = pod.id();
                    netns = pod.netnsPath();
                    String app = pod.startContainer("app", CriTestBed.BUSYBOX_IMAGE,
                            List.of("sh", "-c", "echo started-on-a-warm-vm; sleep 600"));
                    assertTrue(log(bed).contains("pod " + podId + ": takes warm VM " + first),
                            "the pod took the ready VM:\n" + bed.containerd().logTail());

                    String podIp = pod.status().getStatus().getNetwork().getIp();
                    String eth0 = pod.exec(app, EXEC_TIMEOUT, "ip", "-o", "link", "show", "dev", "eth0")
                            .getStdout().toStringUtf8() + pod.exec(app, EXEC_TIMEOUT, "ip", "-4", "-o", "addr", "show",
                            "dev", "eth0").getStdout().toStringUtf8();
                    assertTrue(eth0.contains(" " + podIp + "/"), "the guest NIC has the pod IP " + podIp + ": " + eth0);
                    assertFalse(eth0.contains("link/ether 02:"), "the guest NIC has the CNI interface's MAC: " + eth0);
                    assertEquals("warm-pod\n", pod.exec(app, EXEC_TIMEOUT, "hostname").getStdout().toStringUtf8());
                    PodReachability.assertGatewayAndHostReach(pod, app, bed.cni(), podIp, EXEC_TIMEOUT);
                    assertTrue(Files.readString(pod.logFile("app")).contains("started-on-a-warm-vm"));

                    refill = awaitReadyVm(warmDir, first);
                    assertNotEquals(first, refill);
                    // Pool VMs boot at a lower priority than pods; a taken one runs at the default again.
                    List<String> taken = threadStats(first);
                    assertEquals(List.of(0), niceness(taken), "the pod's VM, virtiofsd and shim threads: " + taken);
                    assertEquals(List.of(10), niceness(threadStats(refill)), "the refilled pool VM's processes");
                }
                PodLeftovers.assertNoneOf(podId, netns, bed.cni());
                assertEquals(List.of(), PodTraces.await(() -> PodTraces.naming(List.of(first))),
                        "nothing of the claimed warm VM (the pod's shim, VMM, virtiofsd, mounts) is left");
                assertFalse(Files.exists(runDir.resolve("pods").resolve(first)), "the VM's directory went with the pod");

                // The guest image is updated: the pool's VM booted the old one, so it stops and the next pod boots cold.
                Path updated = tmp.resolve("image-updated");
                // Hard links where the temporary directory shares the image's file system, else a copy.
                assertEquals(0, new ProcessBuilder("sh", "-c", "cp -al \"$0\" \"$1\" 2>/dev/null || cp -a \"$0\" \"$1\"",
                        image.toRealPath().toString(), updated.toString()).inheritIO().start().waitFor());
                Files.delete(image);
                Files.createSymbolicLink(image, updated);
                try (CriPod after = CriPod.run(bed.cri(), "after-update", CriTestBed.PODVISOR_HANDLER,
                        bed.logDir("after-update"))) {
                    assertTrue(log(bed).contains("pod " + after.id() + " boots cold: no warm VM of its shape 2 vCPUs,"
                            + " 256 MiB is ready (0 booting, 1 stopped as stale, pool size 1)"),
                            "the pod after the update boots cold and says why:\n" + bed.containerd().logTail());
                }
                assertEquals(List.of(), PodTraces.await(() -> PodTraces.naming(List.of(refill))),
                        "the stale pool VM is gone");
                awaitReadyVm(warmDir, refill);

                ProcessBuilder podvisor = new ProcessBuilder(Checkout.install().resolve("podvisor").toString(), "pool",
                        "stop").redirectErrorStream(true);
                podvisor.environment().put("PODVISOR_CONFIG", config.toString());
                Process stop = podvisor.start();
                stop.getOutputStream().close();
                String stopped = new String(stop.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, stop.waitFor(), stopped);
                assertTrue(stopped.contains("warm pool: stopped 1 VMs"), stopped);
                assertEquals(List.of(), poolFiles(warmDir), "the pool's directory holds no VM");
                assertEquals(List.of(), entries(runDir.resolve("pods")), "no pod or pool VM directory is left");
                assertEquals(List.of(), warmNetns(), "no warm VM's network namespace is left");
                assertEquals(List.of(), HostProcesses.mentioning(runDir.toString()).stream().map(HostProcesses::cmdline)
                        .toList());
            } finally {
                stopPool(config);
            }
        }
    }

    /** Waits for a ready pool VM (one with a claim socket) other than {@code not}; returns its name. */
    private static String awaitReadyVm(Path warmDir, String not) throws Exception {
        long deadline = System.nanoTime() + POOL_READY.toNanos();
        while (System.nanoTime() < deadline) {
            for (Path file : poolFiles(warmDir)) {
                String name = file.getFileName().toString();
                if (name.endsWith(".sock") && !name.equals(not + ".sock")) {
                    return name.substring(0, name.length() - ".sock".length());
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no warm VM ready within " + POOL_READY.toSeconds() + " s; pool directory: "
                + poolFiles(warmDir) + logs(warmDir));
    }

    /** /proc/PID/task/TID/stat of every thread of the processes naming {@code name}. */
    private static List<String> threadStats(String name) throws IOException {
        List<String> stats = new java.util.ArrayList<>();
        for (ProcessHandle process : HostProcesses.mentioning(name)) {
            for (Path task : entries(Path.of("/proc", Long.toString(process.pid()), "task"))) {
                stats.add(Files.readString(task.resolve("stat")).strip());
            }
        }
        return stats;
    }

    /** The distinct nice values in {@code threadStats}. */
    private static List<Integer> niceness(List<String> threadStats) {
        // Fields after the command's closing parenthesis: state is field 3, nice field 19.
        return threadStats.stream()
                .map(stat -> Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]))
                .distinct().sorted().toList();
    }

    private static List<Path> poolFiles(Path warmDir) throws IOException {
        return entries(warmDir).stream().filter(p -> !List.of("lock", "refused").contains(p.getFileName().toString()))
                .toList();
    }

    private static String logs(Path warmDir) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path file : poolFiles(warmDir)) {
            if (file.toString().endsWith(".log")) {
                text.append("\n").append(file).append(":\n").append(Files.readString(file));
            }
        }
        return text.toString();
    }

    private static List<Path> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.sorted().toList();
        }
    }

    private static List<String> warmNetns() throws IOException {
        return entries(Path.of("/run/netns")).stream().map(p -> p.getFileName().toString())
                .filter(n -> n.startsWith("warm-")).toList();
    }

    private static String log(CriTestBed bed) throws IOException {
        return Files.readString(bed.containerd().logFile());
    }

    /** A failed test must not leave pool VMs for the next: they are stopped, and what they stood on removed. */
    private static void stopPool(Path config) throws Exception {
        Optional<WarmPoolPlan> plan = new VmSandboxProvider().warmPool(Optional.of(config));
        new WarmPool(plan.orElseThrow()).stop(Duration.ofSeconds(10));
    }
}
