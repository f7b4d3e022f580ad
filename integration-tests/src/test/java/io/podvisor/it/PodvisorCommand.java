package io.podvisor.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs install/podvisor as a user would, capturing its output. */
final class PodvisorCommand {
    private PodvisorCommand() {}

    record Result(int exitCode, String stdout, String stderr) {}

    /** Starts the CLI; a null {@code stdout} leaves its output to read from the process. */
    static Process start(Map<String, String> env, Path stdout, Path stderr, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(TestVms.repo().resolve("install/podvisor").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdout != null ? ProcessBuilder.Redirect.to(stdout.toFile()) : ProcessBuilder.Redirect.PIPE)
                .redirectError(stderr.toFile());
        // The CLI runs the shim the tests run (in CI the native shim install/test.sh built), not one it would build.
        pb.environment().putIfAbsent("PODVISOR_JVM_OPTS", "-Dpodvisor.shimDir=" + Checkout.shimDir());
        pb.environment().putAll(env);
        return pb.start();
    }

    static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("podvisor-out", ".txt");
        Path err = Files.createTempFile("podvisor-err", ".txt");
        try {
            Process p = start(env, out, err, args);
            if (!p.waitFor(240, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("podvisor " + String.join(" ", args) + " did not finish in 240 s; stderr: "
                        + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
