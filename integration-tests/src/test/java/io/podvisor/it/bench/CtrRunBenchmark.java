package io.podvisor.it.bench;

import io.podvisor.it.HostProcesses;

import io.podvisor.it.containerd.ContainerdHarness;
import io.podvisor.it.containerd.Ctr;
import io.podvisor.it.containerd.OciImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A benchmark, not a test (no assertions, not run by {@code mvn test}): {@code ctr run --rm} of
 * {@code true} with podvisor and with runc in the same run, and the shim's memory while a pod runs.
 * Run: {@code mvn -pl integration-tests test -Dtest=CtrRunBenchmark -Dbench.runs=5}.
 */
class CtrRunBenchmark {
    private static final String IMAGE = "docker.io/podvisor/busybox:bench";

    @Test
    void ctrRunOfTrue() throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        Path shimDir = Path.of(System.getProperty("podvisor.repo", "..")).toAbsolutePath().normalize().resolve("install");
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
            System.out.printf("%nctr run --rm IMG true, %d runs      median    min     max%n", runs);
            row("podvisor (s)", podvisor);
            row("runc (s)", runc);
            System.out.printf("podvisor / runc (median)          %6.1fx%n", median(podvisor) / median(runc));
            System.out.printf("shim RSS %.1f MiB, PSS %.1f MiB (JVM with the vsock backend, one pod running)%n",
                    kib(shim, "status", "VmRSS:") / 1024.0, kib(shim, "smaps_rollup", "Pss:") / 1024.0);
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

    private static void row(String what, List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        System.out.printf("%-32s %7.2f %7.2f %7.2f%n", what, median(values), sorted.getFirst(), sorted.getLast());
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static long kib(long pid, String file, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), file))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).replace("kB", "").strip());
            }
        }
        throw new IOException("/proc/" + pid + "/" + file + " has no " + field);
    }

}
