package io.podvisor.it.containerd;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A private containerd for one test class: its own config, root, state and sockets under a temp
 * directory, with chosen directories first on its PATH (where it finds {@code containerd-shim-*-v2}).
 * {@link #close()} removes the tasks and containers left behind, stops containerd, unmounts what it
 * mounted and deletes the directory.
 */
public final class ContainerdHarness implements AutoCloseable {
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);
    private static final String BOOTED = "containerd successfully booted";

    /** The CRI sandbox (pause) image: containerd 1.7's default, built locally so nothing is pulled. */
    public static final String SANDBOX_IMAGE = "registry.k8s.io/pause:3.8";

    private final Path dir;
    private final Path address;
    private final Path config;
    private final Options options;
    private final Path log;
    private Process containerd;

    private ContainerdHarness(Path dir, Path address, Path config, Options options, Path log) {
        this.dir = dir;
        this.address = address;
        this.config = config;
        this.options = options;
        this.log = log;
    }

    /** Options for {@link #start(Options)}. */
    public record Options(ContainerdRelease release, List<Path> pathFirst, boolean cri, String extraConfig,
            Map<String, String> env) {
        public static Options defaults() {
            return new Options(ContainerdRelease.V1_7, List.of(), false, "", Map.of());
        }

        /** Which containerd runs (1.7 by default). */
        public Options withRelease(ContainerdRelease other) {
            return new Options(other, pathFirst, cri, extraConfig, env);
        }

        /** Directories searched first for shim binaries. */
        public Options withPathFirst(Path... dirs) {
            return new Options(release, List.of(dirs), cri, extraConfig, env);
        }

        /** Enables the CRI plugin (restrict_oom_score_adj, CNI from /usr/lib/cni, conf dir under the temp dir). */
        public Options withCri() {
            return new Options(release, pathFirst, true, extraConfig, env);
        }

        /** TOML appended to the generated config (e.g. CRI runtime sections, see {@link ContainerdRelease#runtimesSection()}). */
        public Options withExtraConfig(String toml) {
            return new Options(release, pathFirst, cri, extraConfig + "\n" + toml, env);
        }

        /** An environment variable for containerd and so for the shims it starts. */
        public Options withEnv(String name, String value) {
            Map<String, String> more = new java.util.HashMap<>(env);
            more.put(name, value);
            return new Options(release, pathFirst, cri, extraConfig, Map.copyOf(more));
        }
    }

    public static ContainerdHarness start() throws IOException {
        return start(Options.defaults());
    }

    public static ContainerdHarness start(Options options) throws IOException {
        options.release().requireInstalled();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "ctrd-");
        Path address = dir.resolve("containerd.sock");
        Path config = dir.resolve("config.toml");
        Files.writeString(config, config(dir, address, options));
        ContainerdHarness harness = new ContainerdHarness(dir, address, config, options, dir.resolve("containerd.log"));
        harness.launch();
        return harness;
    }

    /** Starts containerd on this harness's config, state and sockets; returns once it booted. */
    private void launch() throws IOException {
        List<String> path = new ArrayList<>();
        options.pathFirst().forEach(p -> path.add(p.toAbsolutePath().toString()));
        options.release().binDir().ifPresent(bin -> path.add(bin.toString()));
        path.add(Optional.ofNullable(System.getenv("PATH")).orElse("/usr/sbin:/usr/bin:/sbin:/bin"));
        ProcessBuilder builder = new ProcessBuilder(options.release().containerd(), "--config", config.toString())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("PATH", String.join(":", path));
        builder.environment().putAll(options.env());
        containerd = builder.start();
        awaitBoot();
    }

    /**
     * Stops containerd (SIGTERM, as a service manager does) and starts it again on the same config, state
     * and sockets; the shims and the pods they run are left running, as on a node.
     */
    public void restart() throws IOException {
        containerd.destroy();
        try {
            if (!containerd.waitFor(30, TimeUnit.SECONDS)) {
                throw new IOException("containerd in " + dir + " did not stop within 30 s of SIGTERM");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while containerd stopped", e);
        }
        launch();
    }

    /** The running containerd's process id. */
    public long pid() {
        return containerd.pid();
    }

    public ContainerdRelease release() {
        return options.release();
    }

    private static String config(Path dir, Path address, Options options) {
        ContainerdRelease release = options.release();
        StringBuilder toml = new StringBuilder()
                .append("version = ").append(release.configVersion()).append('\n')
                .append("root = \"").append(dir.resolve("root")).append("\"\n")
                .append("state = \"").append(dir.resolve("state")).append("\"\n")
                .append("[grpc]\n  address = \"").append(address).append("\"\n")
                .append("[ttrpc]\n  address = \"").append(address).append(".ttrpc\"\n")
                .append("[debug]\n  level = \"debug\"\n")
                .append("[metrics]\n  address = \"\"\n");
        if (options.cri()) {
            toml.append(release.criConfig(dir.resolve("cni"), SANDBOX_IMAGE));
        } else {
            toml.append("disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n");
        }
        return toml.append(options.extraConfig()).append('\n').toString();
    }

    /** Copies containerd's output to its log file and returns once it says it booted. */
    private void awaitBoot() throws IOException {
        CompletableFuture<Void> booted = new CompletableFuture<>();
        PrintStream logFile = new PrintStream(Files.newOutputStream(log,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("containerd-log").start(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(containerd.getInputStream(), StandardCharsets.UTF_8));
                    logFile) {
                String line;
                while ((line = lines.readLine()) != null) {
                    logFile.println(line);
                    if (line.contains(BOOTED)) {
                        booted.complete(null);
                    }
                }
            } catch (IOException e) {
                booted.completeExceptionally(e);
            }
            booted.completeExceptionally(new IOException("containerd exited"));
        });
        try {
            booted.get(BOOT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            containerd.destroyForcibly();
            throw new IOException("private containerd in " + dir + " did not boot within " + BOOT_TIMEOUT.toSeconds()
                    + " s: " + e.getMessage() + "\n" + logTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            containerd.destroyForcibly();
            throw new IOException("interrupted while containerd booted", e);
        }
    }

    /** containerd's gRPC socket (what ctr --address takes). */
    public Path address() {
        return address;
    }

    public Path ttrpcAddress() {
        return Path.of(address + ".ttrpc");
    }

    public Path dir() {
        return dir;
    }

    public Ctr ctr(String namespace) {
        return new Ctr(Path.of(options.release().ctr()), address, namespace);
    }

    /** containerd's log, with the shims' lines in it. */
    public Path logFile() {
        return log;
    }

    /** The last lines of containerd's log, for failure messages. */
    public String logTail() {
        try (Stream<String> lines = Files.lines(log)) {
            List<String> all = lines.toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - 60), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no containerd log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (containerd.isAlive()) {
                removeEverything();
            }
        } finally {
            containerd.destroy();
            try {
                if (!containerd.waitFor(30, TimeUnit.SECONDS)) {
                    containerd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            unmountUnder(dir);
            deleteTree(dir);
        }
    }

    /** Kills and deletes every task and container in every namespace, so no shim outlives the test. */
    private void removeEverything() {
        Ctr any = ctr("default");
        Ctr.Result namespaces = any.run("namespaces", "list", "--quiet");
        for (String namespace : namespaces.stdout().split("\n")) {
            if (namespace.isBlank()) {
                continue;
            }
            Ctr ctr = any.inNamespace(namespace.strip());
            for (String task : firstColumn(ctr.run("tasks", "list", "--quiet"))) {
                ctr.run("tasks", "kill", "--signal", "SIGKILL", "--all", task);
                ctr.run("tasks", "delete", "--force", task);
            }
            for (String container : firstColumn(ctr.run("containers", "list", "--quiet"))) {
                ctr.run("containers", "delete", container);
            }
        }
    }

    private static List<String> firstColumn(Ctr.Result result) {
        return result.stdout().lines().map(String::strip).filter(s -> !s.isEmpty()).map(s -> s.split("\\s+")[0]).toList();
    }

    private static void unmountUnder(Path dir) throws IOException {
        List<String> mountPoints;
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            mountPoints = lines.map(line -> line.split(" ")[4])
                    .filter(mountPoint -> mountPoint.startsWith(dir.toString() + "/"))
                    .sorted(Comparator.reverseOrder())
                    .toList();
        }
        for (String mountPoint : mountPoints) {
            try {
                new ProcessBuilder("umount", "-l", mountPoint).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
