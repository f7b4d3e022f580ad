package io.podvisor.it.bench;

import io.podvisor.it.Checkout;
import io.podvisor.it.containerd.ContainerdRelease;
import io.podvisor.it.cri.CriPod;
import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.FirstOutput;
import io.podvisor.it.cri.TestBedTeardown;
import io.podvisor.shim.ShimMain;
import io.podvisor.shim.WarmPool;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.vm.VmSandboxProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Pods that start from the warm pool: a private containerd whose podvisor configuration keeps one VM of the default
 * shape. Before each pod the pool's VM is awaited ready and its idle host memory taken; the pod's start is timed as
 * {@link PodBench} times a cold one (RunPodSandbox to the first container's first output), while the pool refills.
 */
final class WarmBench {
    private static final Duration POOL_READY = Duration.ofMinutes(5);

    private WarmBench() {
    }

    static void measure(PodvisorConfig node, int pods, Path dir, Results results, PrintStream progress)
            throws Exception {
        String nodeToml = Files.exists(PodvisorConfig.path()) ? Files.readString(PodvisorConfig.path()) : "";
        Path config = Files.writeString(dir.resolve("warm-pool-config.toml"), "pool = [{ vcpus = %d, memory_mib = %d, size = 1 }]\n%s\n"
                .formatted(node.defaultVcpus(), node.defaultMemoryMiB(), nodeToml));
        WarmPool pool = new WarmPool(new VmSandboxProvider().warmPool(Optional.of(config)).orElseThrow());
        String options = "[" + ContainerdRelease.V1_7.runtimesSection() + ".podvisor.options]\n  ConfigPath = \""
                + config + "\"\n";
        try (TestBedTeardown bed = TestBedTeardown.onExit(CriTestBed.start(ContainerdRelease.V1_7, true, options),
                progress)) {
            progress.println("warm pool: " + pool.refill(List.of(Checkout.shimDir().resolve(ShimMain.NAME).toString()),
                    Optional.of(config), Duration.ZERO));
            Path logRoot = bed.get().containerd().dir().resolve("warm-logs");
            for (int i = 1; i <= pods; i++) {
                WarmPool.Member ready = awaitReady(pool);
                double idleMiB = pssMiB(ready);
                results.add(Measure.WARM_IDLE_PSS, Results.PODVISOR, idleMiB);
                String name = "warm-" + i;
                Path logDir = logRoot.resolve(name);
                try (FirstOutput output = FirstOutput.watch(logDir)) {
                    long start = System.nanoTime();
                    try (CriPod pod = CriPod.run(bed.get().cri(), name, CriTestBed.PODVISOR_HANDLER, logDir)) {
                        pod.startContainer("first", CriTestBed.BUSYBOX_IMAGE, PodBench.ECHO_THEN_SLEEP);
                        output.await(pod.logFile("first"), PodBench.FIRST_OUTPUT_TIMEOUT, "container first of pod " + name);
                        double seconds = PodBench.seconds(start);
                        results.add(Measure.POD_START_WARM, Results.PODVISOR, seconds);
                        progress.printf("warm pod %d/%d: pod start %.2f s (idle pool VM: %.1f MiB PSS)%n", i, pods,
                                seconds, idleMiB);
                    }
                }
            }
        } finally {
            pool.stop(Duration.ofSeconds(30));
        }
    }

    private static WarmPool.Member awaitReady(WarmPool pool) throws IOException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + POOL_READY.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<WarmPool.Member> ready = pool.members().stream().filter(WarmPool.Member::ready).findFirst();
            if (ready.isPresent()) {
                return ready.get();
            }
            Thread.sleep(200);
        }
        throw new TimeoutException("no warm VM ready within " + POOL_READY.toSeconds() + " s: see the logs in "
                + pool.plan().dir() + pool.refused().map(r -> "; " + r).orElse(""));
    }

    private static double pssMiB(WarmPool.Member vm) throws IOException {
        long kib = 0;
        for (ProcessHandle p : vm.processes()) {
            kib += ProcessMemory.of(p.pid()).pssKiB();
        }
        return kib / 1024.0;
    }
}
