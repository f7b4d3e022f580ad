package io.podvisor.it.bench;

import io.podvisor.it.cri.CriClient;
import io.podvisor.it.cri.CriPod;
import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.FirstOutput;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/** Many podvisor pods running at once: host memory of each and of all, with one container each. */
final class DensityBench {
    private DensityBench() {}

    static void measure(CriClient cri, Path logRoot, int pods, Results results, PrintStream progress)
            throws IOException, TimeoutException, InterruptedException {
        List<CriPod> running = new ArrayList<>();
        try {
            for (int i = 1; i <= pods; i++) {
                String name = "density-" + i;
                Path logDir = logRoot.resolve(name);
                try (FirstOutput output = FirstOutput.watch(logDir)) {
                    long start = System.nanoTime();
                    CriPod pod = CriPod.run(cri, name, CriTestBed.PODVISOR_HANDLER, logDir);
                    running.add(pod);
                    pod.startContainer("main", CriTestBed.BUSYBOX_IMAGE, PodBench.ECHO_THEN_SLEEP);
                    output.await(pod.logFile("main"), PodBench.FIRST_OUTPUT_TIMEOUT, "container main of pod " + name);
                    progress.printf("density: pod %d/%d running (%.2f s)%n", i, pods, PodBench.seconds(start));
                }
            }
            double total = 0;
            for (CriPod pod : running) {
                PodProcesses.PodMemory memory = PodProcesses.of(pod.id()).memory();
                results.add(Measure.DENSITY_POD_PSS, Results.PODVISOR, memory.total().pssMiB());
                results.add(Measure.DENSITY_GUEST_TOUCHED, Results.PODVISOR, memory.vmm().rssShmemMiB());
                results.add(Measure.DENSITY_SHIM_PSS, Results.PODVISOR, memory.shim().pssMiB());
                total += memory.total().pssMiB();
            }
            results.add(Measure.DENSITY_TOTAL_PSS, Results.PODVISOR, total);
        } finally {
            for (CriPod pod : running.reversed()) {
                pod.close();
            }
        }
    }
}
