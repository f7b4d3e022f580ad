package io.podvisor.it.bench;

import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.TestBedTeardown;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs the benchmark's parts in order and collects one {@link Report}. */
final class BenchSuite {
    static final long VOLUME_FILE_BYTES = 64L << 20;

    private BenchSuite() {}

    static Report run(String command, BenchOptions options, PrintStream progress) throws Exception {
        Instant started = Instant.now();
        long start = System.nanoTime();
        MachineLoad loadAtStart = MachineLoad.now();
        PodvisorConfig config = PodvisorConfig.load();
        Results results = new Results();
        List<String> notes = new ArrayList<>();
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("vm_boots", options.boots());
        parameters.put("guest_vcpus", config.defaultVcpus());
        parameters.put("guest_memory_mib", config.defaultMemoryMiB());

        VmBoots.measure(config, options.boots(), results, progress);
        notes.add("VM start and hybrid vsock figures come from bare VMs the benchmark boots itself; "
                + "their vsock backend runs in the benchmark's JVM as it runs in the shim's for pods");
        if (!options.vmOnly()) {
            parameters.put("pods", options.pods());
            parameters.put("density_pods", options.density());
            try (TestBedTeardown bed = TestBedTeardown.onExit(CriTestBed.start(true), progress)) {
                Path dir = bed.get().containerd().dir();
                VolumeFile volume = VolumeFile.create(dir.resolve("bench-volume"), VOLUME_FILE_BYTES);
                PodBench pods = new PodBench(bed.get().cri(), dir.resolve("bench-logs"), config.runDir().resolve("pods"), volume);
                for (int i = 1; i <= options.pods(); i++) {
                    for (String runtime : List.of(Results.PODVISOR, Results.RUNC)) {
                        String outcome = pods.measure(runtime, runtime + "-" + i, results);
                        progress.printf("pod %d/%d %s: %s%n", i, options.pods(), runtime, outcome);
                    }
                }
                if (options.density() > 0) {
                    DensityBench.measure(bed.get().cri(), dir.resolve("bench-logs"), options.density(), results, progress);
                }
            }
            if (options.warm() > 0) {
                parameters.put("warm_pods", options.warm());
                WarmBench.measure(config, options.warm(), Files.createTempDirectory("podvisor-warm-bench-"), results,
                        progress);
            }
            notes.add("the vsock backend lives in the shim's JVM: its memory is part of the shim's PSS");
            notes.add("guest RAM touched = the VMM's resident shared memory (the guest's memfd RAM); "
                    + "PSS splits it between the VMM, virtiofsd and the vsock backend, so the PSS rows add up");
            notes.add("runc pod memory = containerd-shim-runc-v2, pause and the containers' processes");
            notes.add("dd read times come from busybox time (10 ms resolution): runc's page-cache read is at that limit");
        }
        return new Report(command, started, (System.nanoTime() - start) / 1e9, loadAtStart, MachineLoad.now(),
                parameters, results.stats(), notes);
    }
}
