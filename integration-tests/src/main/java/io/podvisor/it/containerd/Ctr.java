package io.podvisor.it.containerd;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs {@code ctr} against one containerd (its socket) in one namespace. */
public final class Ctr {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private final Path binary;
    private final Path address;
    private final String namespace;

    /** The system's {@code ctr}. */
    public Ctr(Path address, String namespace) {
        this(Path.of("ctr"), address, namespace);
    }

    /** {@code binary} (the ctr of the containerd release at {@code address}). */
    public Ctr(Path binary, Path address, String namespace) {
        this.binary = binary;
        this.address = address;
        this.namespace = namespace;
    }

    public Ctr inNamespace(String otherNamespace) {
        return new Ctr(binary, address, otherNamespace);
    }

    /** The ctr binary; with {@link #address()} what a test may hand a ctr it runs itself. */
    public Path binary() {
        return binary;
    }

    public Path address() {
        return address;
    }

    public String namespace() {
        return namespace;
    }

    /** What one ctr run printed and how it ended. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public Result orThrow() {
            if (exitCode != 0) {
                throw new AssertionError(this.toString());
            }
            return this;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " exited " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    public Result run(String... args) {
        return run(new byte[0], DEFAULT_TIMEOUT, args);
    }

    /** Runs {@code ctr args} with {@code stdin} fed to it; kills it and fails after {@code timeout}. */
    public Result run(byte[] stdin, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--address", address.toString(), "--namespace", namespace));
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run ctr (is containerd installed? install/containerd/install-containerd.sh)", e);
        }
        CompletableFuture<String> out = readAll(process.getInputStream());
        CompletableFuture<String> err = readAll(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin);
        } catch (IOException e) {
            // ctr exited without reading its stdin; its exit status tells why.
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout
                        + "\nstdout: " + out.getNow("") + "\nstderr: " + err.getNow(""));
            }
            return new Result(command, process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new AssertionError("interrupted while running " + command, e);
        } catch (Exception e) {
            throw new AssertionError("cannot collect the output of " + command, e);
        }
    }

    /** Whether {@code ctr tasks list} shows task {@code id} with {@code status} (RUNNING, STOPPED, ...). */
    public boolean taskShows(String id, String status) {
        return run("tasks", "list").stdout().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains(status));
    }

    /** Waits up to 60 s for task {@code id} to show {@code status}; whether it did. */
    public boolean awaitTask(String id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (taskShows(id, status)) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private static CompletableFuture<String> readAll(InputStream stream) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (stream) {
                result.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }
}
