package io.podvisor.hypervisor.vsock;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The long vsock fuzz run, not part of {@code mvn test} (the class name does not end in Test):
 * {@code mvn -pl hypervisor test -Dtest=VsockDeviceFuzzBenchmark -Dfuzz.iterations=2000000 -Dfuzz.seed=1}.
 * Prints what it ran; fails on any finding, naming the seed to replay.
 */
class VsockDeviceFuzzBenchmark {
    @Test
    void millionsOfHostileChains() throws Exception {
        long iterations = Long.getLong("fuzz.iterations", 2_000_000);
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Path dir = Files.createTempDirectory("vsock-fuzz");
        System.out.println("vsock fuzz: seed " + seed + ", " + iterations + " iterations");
        try (VsockFuzzRun run = new VsockFuzzRun(dir)) {
            System.out.println("vsock fuzz, seed " + seed + ": " + run.run(seed, iterations));
        } catch (Throwable t) {
            throw new AssertionError("vsock fuzz found a problem; replay with -Dfuzz.seed=" + seed, t);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
