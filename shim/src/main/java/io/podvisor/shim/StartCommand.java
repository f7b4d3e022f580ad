package io.podvisor.shim;

import io.podvisor.shim.task.OciBundle;
import io.podvisor.shim.task.TaskException;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code start}: returns the address of the shim that serves this container. A container of a CRI
 * pod whose shim is alive gets that shim's address; otherwise a long-lived shim is started detached
 * (it reports "ready" on its stdout once it listens) and its address returned.
 */
final class StartCommand {
    static final String READY = "ready";
    static final String IN_USE = "in-use";
    /**
     * A VM refilling the pool waits this long before it boots: a pod's start from a warm VM took 1.1 s with the
     * refill waiting, 2.0 s with it booting beside the pod (QEMU TCG, 2 CPUs, podvisor bench --warm 3).
     */
    static final Duration REFILL_DELAY = Duration.ofSeconds(3);

    /** The node's warm pool, read only when a pod's first container needs a new shim. */
    interface PoolLookup {
        Optional<WarmPool> find() throws ShimException;
    }

    private final Path socketDir;
    private final List<String> selfCommand;
    private final Duration readyTimeout;
    private final StartTimes times;

    StartCommand(Path socketDir, List<String> selfCommand, Duration readyTimeout, StartTimes times) {
        this.socketDir = socketDir;
        this.selfCommand = selfCommand;
        this.readyTimeout = readyTimeout;
        this.times = times;
    }

    /**
     * Returns the {@code unix://} address to print; a new shim reads the config file the options name. A pod's first
     * container takes a warm VM of the pod's shape when the pool has one ready, and the pool is refilled.
     */
    String run(ShimArgs args, Path bundle, RuntimeOptions options, PoolLookup pool) throws ShimException {
        String groupId = groupId(args.id(), bundle);
        Path socket = ShimAddress.socketFor(socketDir, args.address(), args.namespace(), groupId);
        // The shim binds "<socket>.<pid>.binding" first (pids have up to 7 digits); sun_path holds 107 bytes.
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length + 16 > 107) {
            throw new ShimException("containerd's socket_dir " + socketDir + " is too long for the shim's unix socket "
                    + socket.getFileName() + " (at most 107 bytes in all): configure a shorter one");
        }
        String address = ShimAddress.toAddress(socket);
        if (!ShimAddress.canConnect(socket)) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                throw new ShimException("cannot remove stale shim socket " + socket + ": " + e.getMessage(), e);
            }
            String coldStart = "";
            String answer = null;
            Optional<WarmPool> warm = groupId.equals(args.id()) ? pool.find() : Optional.empty();
            if (warm.isPresent()) {
                WarmPool.Claim claim = claimWarm(warm.get(), args, bundle, socket);
                coldStart = claim.coldReason();
                answer = claim.vm().isPresent() ? READY : null;
                refill(warm.get(), options);
            }
            if (answer == null) {
                answer = spawn(args, bundle, socket, options, coldStart);
            }
            if (answer.equals(IN_USE) && !ShimAddress.canConnect(socket)) {
                throw new ShimException("shim socket " + socket + " of " + groupId + " exists but nothing answers on it");
            }
        }
        try {
            ShimAddress.writeAddressFile(bundle, address);
        } catch (IOException e) {
            throw new ShimException("cannot write " + bundle.resolve(ShimAddress.ADDRESS_FILE) + ": " + e.getMessage(), e);
        }
        return address;
    }

    /** The pod's sandbox id for a container of a CRI pod, else the container's own id. */
    static String groupId(String id, Path bundle) throws ShimException {
        try {
            return OciBundle.load(bundle).sandboxId().orElse(id);
        } catch (TaskException e) {
            throw new ShimException("container " + id + ": " + e.getMessage(), e);
        }
    }

    private static WarmPool.Claim claimWarm(WarmPool pool, ShimArgs args, Path bundle, Path socket) {
        try {
            return pool.claim(ShimMain.context(args, bundle, socket));
        } catch (IOException | RuntimeException e) {
            return new WarmPool.Claim(Optional.empty(), "the warm pool cannot be used: " + e.getMessage());
        }
    }

    /** Starts what the pool lacks; a pool that cannot refill says why in the next cold pod's log. */
    private void refill(WarmPool pool, RuntimeOptions options) {
        try {
            pool.refill(selfCommand, options.configPath(), REFILL_DELAY);
        } catch (IOException | RuntimeException e) {
            // The next claim finds the pool short and the pod's log says so.
        }
    }

    private String spawn(ShimArgs args, Path bundle, Path socket, RuntimeOptions options, String coldStart)
            throws ShimException {
        List<String> command = new ArrayList<>(selfCommand);
        command.addAll(List.of("-namespace", args.namespace(), "-id", args.id(), "-address", args.address(),
                "-publish-binary", args.publishBinary(), "-socket", socket.toString()));
        if (args.debug()) {
            command.add("-debug");
        }
        Process shim;
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(bundle.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            options.configPath().ifPresent(config -> builder.environment().put("PODVISOR_CONFIG", config.toString()));
            builder.environment().put(StartTimes.ENV, times.encode());
            if (!coldStart.isEmpty()) {
                builder.environment().put(ShimServer.COLD_START_ENV, coldStart);
            }
            shim = builder.start();
        } catch (IOException e) {
            throw new ShimException("cannot start the shim for " + args.id() + ": " + e.getMessage(), e);
        }
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(shim.getErrorStream()),
                StartCommand::onOwnThread);
        CompletableFuture<String> firstLine = CompletableFuture.supplyAsync(() -> firstLine(shim.getInputStream()),
                StartCommand::onOwnThread);
        String line;
        try {
            line = firstLine.get(readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            shim.destroyForcibly();
            removeQuietly(socket);
            throw new ShimException("shim for " + args.id() + " did not listen on " + socket + " within "
                    + readyTimeout.toSeconds() + " s; killed it" + stderrOf(stderr));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shim.destroyForcibly();
            throw new ShimException("interrupted while starting the shim for " + args.id());
        } catch (ExecutionException e) {
            throw new ShimException("cannot read from the shim for " + args.id() + ": " + e.getCause(), e.getCause());
        }
        if (line != null && (line.equals(READY) || line.equals(IN_USE))) {
            return line;
        }
        String exit = "";
        try {
            if (shim.waitFor(5, TimeUnit.SECONDS)) {
                exit = " (exit status " + shim.exitValue() + ")";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new ShimException("shim for " + args.id() + " failed to start" + exit
                + (line == null ? "" : ": " + line) + stderrOf(stderr));
    }

    private static String stderrOf(CompletableFuture<String> stderr) {
        String text = stderr.completeOnTimeout("", 2, TimeUnit.SECONDS).join().strip();
        return text.isEmpty() ? "" : "; its stderr: " + text;
    }

    private static void removeQuietly(Path socket) {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // Reported by the next start, which finds the stale socket.
        }
    }

    private static void onOwnThread(Runnable task) {
        Thread.ofVirtual().start(task);
    }

    private static String firstLine(InputStream in) {
        try {
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
        } catch (IOException e) {
            return null;
        }
    }

    private static String drain(InputStream in) {
        try {
            byte[] bytes = in.readNBytes(16 * 1024);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
