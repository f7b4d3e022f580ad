package io.podvisor.hypervisor.net;

import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2's {@code ip} and {@code tc} (and iptables) inside one network namespace, through
 * {@code nsenter --net=PATH}, which takes both /var/run/netns/NAME and /proc/PID/ns/net paths.
 */
final class IpRoute2 {
    private static final Path NSENTER = Path.of("/usr/bin/nsenter");
    private static final List<Path> SBIN = List.of(Path.of("/usr/sbin"), Path.of("/sbin"), Path.of("/usr/bin"), Path.of("/bin"));
    private static final long TIMEOUT_SECONDS = 10;

    private final String podId;
    private final Path netns;

    IpRoute2(String podId, Path netns) {
        this.podId = podId;
        this.netns = netns;
    }

    /** {@code ip ARGS}; returns its stdout. */
    String ip(String... args) throws VmmException {
        return run("ip", List.of(args), null);
    }

    /** {@code tc ARGS}; returns its stdout. */
    String tc(String... args) throws VmmException {
        return run("tc", List.of(args), null);
    }

    /** {@code iptables-restore --noflush} of {@code rules}: the tables they name change, the rest stays. */
    void iptablesRestore(String rules) throws VmmException {
        run("iptables-restore", List.of("-w", "5", "--noflush"), rules);
    }

    /** Whether {@code iptables ARGS} exits 0, as {@code -C} (is this rule there?) answers. */
    boolean iptablesSucceeds(String... args) throws VmmException {
        try {
            run("iptables", List.of(args), null);
            return true;
        } catch (CommandFailed e) {
            return false;
        }
    }

    /** iptables ARGS; returns its stdout. */
    String iptables(String... args) throws VmmException {
        return run("iptables", List.of(args), null);
    }

    /** A command that ran and exited with a status other than 0. */
    static final class CommandFailed extends VmmException {
        CommandFailed(String message) {
            super(message);
        }
    }

    /** Runs {@code commands} with {@code tool -batch -}, stopping at the first that fails. */
    void batch(String tool, List<String> commands) throws VmmException {
        run(tool, List.of("-batch", "-"), String.join("\n", commands) + "\n");
    }

    private String run(String tool, List<String> args, String stdin) throws VmmException {
        List<String> argv = new ArrayList<>(List.of(NSENTER.toString(), "--net=" + netns, "--", binary(tool).toString()));
        argv.addAll(args);
        String shown = tool + " " + String.join(" ", args);
        Process p;
        try {
            p = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw new VmmException("pod " + podId + ": cannot run " + NSENTER + " (util-linux): " + e.getMessage(), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // The command exited early; its status and stderr say why.
        }
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new VmmException("pod " + podId + ": `" + shown + "` in network namespace " + netns
                        + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            String stderr = err.get().strip();
            if (p.exitValue() != 0) {
                throw new CommandFailed("pod " + podId + ": `" + shown + "` failed in network namespace " + netns
                        + " (status " + p.exitValue() + "): " + stderr + (stdin != null ? "\n  commands:\n" + stdin : ""));
            }
            return out.get();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new VmmException("pod " + podId + ": interrupted while running " + shown, e);
        } catch (ExecutionException e) {
            throw new VmmException("pod " + podId + ": cannot read the output of " + shown + ": " + e.getCause(), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        });
        return text;
    }

    private Path binary(String tool) throws VmmException {
        for (Path dir : SBIN) {
            Path candidate = dir.resolve(tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new VmmException("pod " + podId + ": cannot set up the pod network: `" + tool
                + "` is missing; install the " + (tool.startsWith("iptables") ? "iptables" : "iproute2") + " package");
    }
}
