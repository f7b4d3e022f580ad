package io.podvisor.it.bench;

import io.podvisor.it.Checkout;
import io.podvisor.it.HostProcesses;
import io.podvisor.it.containerd.ContainerdHarness;
import io.podvisor.it.containerd.Ctr;
import io.podvisor.it.containerd.OciImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A benchmark of the ctr path, not a test (no assertions, not run by {@code mvn test}; the CRI
 * benchmark is {@code install/podvisor bench}): {@code ctr run --rm} of {@code true} with podvisor
 * and with runc in the same run, and the shim's memory while a pod runs.
 * Run: {@code mvn -pl integration-tests test -Dtest=CtrRunBenchmark -Dbench.runs=5}.
 */
class CtrRunBenchmark {
    private static final String IMAGE = "docker.io/podvisor/busybox:bench";

    @Test
    void ctrRunOfTrue() throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        Path shimDir = Checkout.install();
        try (ContainerdHarness containerd = ContainerdHarness.start(
                ContainerdHarness.Options.defaults().withPathFirst(shimDir))) {
            Ctr ctr = containerd.ctr("bench");
            OciImages.importBusybox(ctr, containerd.dir(), IMAGE, List.of("sh"));
            List<Double> podvisor = new ArrayList<>();
            List<Double> runc = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                podvisor.add(time(ctr, "io.containerd.podvisor.v2", "pv-bench-" + i));
                runc.add(time(ctr, "io.containerd.runc.v2", "runc-bench-" + i));
            }
            ctr.run("run", "-d", "--runtime", "io.containerd.podvisor.v2", IMAGE, "pv-mem", "sleep", "1000").orThrow();
            long shim = ProcessHandle.allProcesses()
                    .filter(p -> HostProcesses.cmdline(p).contains("io.podvisor.shim.ShimMain") && HostProcesses.cmdline(p).contains(" -id pv-mem "))
                    .findFirst().orElseThrow().pid();
            System.out.printf("%nctr run --rm IMG true, %d runs      median    p95     min     max%n", runs);
            row("podvisor (s)", Stats.of(podvisor));
            row("runc (s)", Stats.of(runc));
            System.out.printf("podvisor / runc (median)          %6.1fx%n", Stats.of(podvisor).median() / Stats.of(runc).median());
            ProcessMemory memory = ProcessMemory.of(shim);
            System.out.printf("shim RSS %.1f MiB, PSS %.1f MiB (JVM with the vsock backend, one pod running)%n",
                    memory.rssMiB(), memory.pssMiB());
            ctr.run("tasks", "kill", "--signal", "SIGKILL", "pv-mem");
            ctr.run("tasks", "delete", "--force", "pv-mem");
            ctr.run("containers", "delete", "pv-mem");
        }
    }

    private static double time(Ctr ctr, String runtime, String id) {
        long start = System.nanoTime();
        ctr.run("run", "--rm", "--runtime", runtime, IMAGE, id, "true").orThrow();
        return (System.nanoTime() - start) / 1e9;
    }

    private static void row(String what, Stats stats) {
        System.out.printf("%-32s %7.2f %7.2f %7.2f %7.2f%n", what, stats.median(), stats.p95(), stats.min(), stats.max());
    }
}
