package io.podvisor.agent.os;

import io.podvisor.libc.NativeMemory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Runs a short helper command (crun, ip) to its end and captures what it printed. */
public final class Command {

    private Command() {}

    /** How the command ended and what it wrote. */
    public record Result(ExitStatus status, String stdout, String stderr) {
        public boolean succeeded() {
            return status.exitCode() == 0;
        }

        /** stderr, else stdout, trimmed: what a failure message should quote. */
        public String message() {
            String text = stderr.isBlank() ? stdout : stderr;
            return text.strip();
        }
    }

    /** Runs {@code argv} (argv[0] a path) with the agent's environment and no stdin. */
    public static Result run(List<String> argv) throws IOException {
        List<String> env = System.getenv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        return run(argv, env);
    }

    public static Result run(List<String> argv, List<String> env) throws IOException {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        Pipe err = Pipe.open();
        int pid;
        try {
            pid = Spawner.spawn(argv.getFirst(), argv, env, null,
                    new Spawner.Stdio.Pipes(in.readEnd(), out.writeEnd(), err.writeEnd()));
        } catch (IOException | RuntimeException e) {
            out.readEnd().close();
            err.readEnd().close();
            throw e;
        } finally {
            in.readEnd().close();
            in.writeEnd().close();
            out.writeEnd().close();
            err.writeEnd().close();
        }
        CompletableFuture<String> stderr = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("stderr-" + pid).start(() -> {
            try {
                stderr.complete(readAll(err.readEnd()));
            } catch (IOException | RuntimeException e) {
                stderr.completeExceptionally(e);
            }
        });
        String stdout = readAll(out.readEnd());
        ExitStatus status = Processes.waitFor(pid);
        return new Result(status, stdout, stderr.join());
    }

    /** Reads {@code fd} to its end and closes it. */
    public static String readAll(Fd fd) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Arena arena = Arena.ofConfined(); fd) {
            MemorySegment buffer = arena.allocate(8192);
            int n;
            while ((n = fd.read(buffer)) > 0) {
                bytes.write(NativeMemory.bytes(buffer, n));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
