package io.podvisor.it.soak;

import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.TestBedTeardown;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs the soak: rounds of {@code parallel} pod lifecycles at once on a private containerd, each cycle
 * checked for its pod's leftovers, and after each round the node's counts compared with those before
 * the first pod (given the node a few seconds to settle).
 */
final class Soak {
    private static final Duration SETTLE = Duration.ofSeconds(20);

    /** The node's counts after a round of cycles, and how they differ from the start. */
    record Round(int round, List<Integer> cycles, Map<String, Long> counts, Map<String, Long> delta) {}

    private Soak() {}

    static SoakReport run(String command, SoakOptions options, PrintStream progress) throws Exception {
        long start = System.nanoTime();
        Path runDir = PodvisorConfig.load().runDir();
        List<SoakCycle.Result> results = new ArrayList<>();
        List<Round> rounds = new ArrayList<>();
        NodeCounts baseline;
        try (TestBedTeardown bed = TestBedTeardown.onExit(CriTestBed.start(options.containerd(), true), progress);
                ExecutorService pool = Executors.newFixedThreadPool(options.parallel())) {
            long containerd = bed.get().containerd().pid();
            String bridge = bed.get().cni().bridge();
            Path logs = bed.get().containerd().dir().resolve("soak-logs");
            baseline = NodeCounts.take(runDir, containerd, bridge);
            progress.printf("soak: %d cycles, %d at once, on %s; node before: %s%n", options.cycles(), options.parallel(),
                    options.containerd(), baseline.counts());
            int next = 1;
            for (int round = 1; next <= options.cycles(); round++) {
                List<Future<SoakCycle.Result>> running = new ArrayList<>();
                List<Integer> cycles = new ArrayList<>();
                for (int i = 0; i < options.parallel() && next <= options.cycles(); i++, next++) {
                    int cycle = next;
                    cycles.add(cycle);
                    running.add(pool.submit(() -> SoakCycle.run(bed.get().cri(), logs, cycle)));
                }
                for (Future<SoakCycle.Result> future : running) {
                    SoakCycle.Result result = future.get();
                    results.add(result);
                    progress.println(describe(result, options.cycles()));
                }
                rounds.add(settle(round, cycles, baseline, runDir, containerd, bridge, progress));
            }
        } catch (ExecutionException e) {
            throw new IOException("a soak cycle crashed: " + e.getCause(), e.getCause());
        }
        return new SoakReport(command, options, (System.nanoTime() - start) / 1e9, baseline.counts(), results, rounds);
    }

    /** Waits up to {@link #SETTLE} for the node's counts to come back to the baseline; returns the last. */
    private static Round settle(int round, List<Integer> cycles, NodeCounts baseline, Path runDir, long containerd,
            String bridge, PrintStream progress) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        NodeCounts now = NodeCounts.take(runDir, containerd, bridge);
        while (NodeCounts.leaks(now.minus(baseline)) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
            now = NodeCounts.take(runDir, containerd, bridge);
        }
        Round result = new Round(round, cycles, now.counts(), now.minus(baseline));
        progress.printf("round %d: node against the start %s%n", round, result.delta());
        return result;
    }

    private static String describe(SoakCycle.Result r, int cycles) {
        String outcome = r.ok() ? "ok" : "FAILED" + (r.error() != null ? ": " + r.error() : "")
                + (r.leftovers().isEmpty() ? "" : "; left behind: " + r.leftovers());
        return "cycle %d/%d pod %s %s %s".formatted(r.cycle(), cycles, r.pod().isEmpty() ? "-" : r.pod().substring(0, 12),
                r.seconds(), outcome);
    }
}
