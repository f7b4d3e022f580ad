package io.podvisor.it.containerd;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.podvisor.proto.containerd.cgroups.v2.Metrics;
import io.podvisor.proto.containerd.types.Mount;
import io.podvisor.shim.io.ProcessIo;
import io.podvisor.shim.task.Container;
import io.podvisor.shim.task.ContainerProcess;
import io.podvisor.shim.task.ContainerRequest;
import io.podvisor.shim.task.ExecRequest;
import io.podvisor.shim.task.ProcessPid;
import io.podvisor.shim.task.Sandbox;
import io.podvisor.shim.task.TaskException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * TEST ONLY: a sandbox that runs containers as plain host processes chrooted into their rootfs,
 * so the shim's containerd side can be exercised end to end before the VM side exists. No
 * isolation, no terminal; not the product.
 */
final class HostSandbox implements Sandbox {
    @Override
    public Container createContainer(ContainerRequest request) throws TaskException {
        if (request.io().terminal()) {
            throw TaskException.unimplemented("the host test backend has no terminals");
        }
        Path rootfs = request.bundle().path().resolve("rootfs");
        try {
            Files.createDirectories(rootfs);
            for (Mount mount : request.rootfs()) {
                List<String> command = new ArrayList<>(List.of("mount", "-t", mount.getType()));
                if (mount.getOptionsCount() > 0) {
                    command.addAll(List.of("-o", String.join(",", mount.getOptionsList())));
                }
                command.addAll(List.of(mount.getSource(), rootfs.toString()));
                HostCommands.run(command);
            }
        } catch (IOException e) {
            throw TaskException.internal("container " + request.id() + ": cannot mount its rootfs: " + e.getMessage(), e);
        }
        JsonNode process = request.bundle().spec().path("process");
        return new HostContainer(request.id(), rootfs, new HostProcess(rootfs, process, request.io()));
    }

    @Override
    public void shutdown() {
    }

    @Override
    public boolean ended() {
        return false;
    }

    static void unmountRootfs(Path bundle) {
        Path rootfs = bundle.resolve("rootfs");
        try {
            if (HostCommands.isMountPoint(rootfs)) {
                HostCommands.run(List.of("umount", "--lazy", rootfs.toString()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot unmount " + rootfs + ": " + e.getMessage(), e);
        }
    }

    private static final class HostContainer implements Container {
        private final String id;
        private final Path rootfs;
        private final HostProcess init;
        private final Map<String, HostProcess> execs = new ConcurrentHashMap<>();

        HostContainer(String id, Path rootfs, HostProcess init) {
            this.id = id;
            this.rootfs = rootfs;
            this.init = init;
        }

        @Override
        public ContainerProcess init() {
            return init;
        }

        @Override
        public ContainerProcess exec(ExecRequest request) throws TaskException {
            if (request.io().terminal()) {
                throw TaskException.unimplemented("the host test backend has no terminals");
            }
            HostProcess exec = new HostProcess(rootfs, request.processSpec(), request.io());
            execs.put(request.execId(), exec);
            return exec;
        }

        @Override
        public List<ProcessPid> pids() {
            List<ProcessPid> pids = new ArrayList<>();
            if (init.alive()) {
                pids.add(new ProcessPid(init.pid(), Optional.empty()));
            }
            execs.forEach((execId, exec) -> {
                if (exec.alive()) {
                    pids.add(new ProcessPid(exec.pid(), Optional.of(execId)));
                }
            });
            return pids;
        }

        @Override
        public void pause() throws TaskException {
            throw TaskException.unimplemented("the host test backend cannot pause");
        }

        @Override
        public void resume() throws TaskException {
            throw TaskException.unimplemented("the host test backend cannot resume");
        }

        @Override
        public void update(Any resources, Map<String, String> annotations) {
        }

        @Override
        public Message stats() {
            return Metrics.getDefaultInstance();
        }

        @Override
        public void delete() {
            execs.values().forEach(HostProcess::killNow);
            unmountRootfs(rootfs.getParent());
        }
    }

    private static final class HostProcess implements ContainerProcess {
        private final Path rootfs;
        private final JsonNode spec;
        private final ProcessIo io;
        private final CompletableFuture<Integer> exit = new CompletableFuture<>();
        private volatile Process process;

        HostProcess(Path rootfs, JsonNode spec, ProcessIo io) {
            this.rootfs = rootfs;
            this.spec = spec;
            this.io = io;
        }

        @Override
        public int pid() {
            Process p = process;
            return p == null ? 0 : (int) p.pid();
        }

        boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }

        @Override
        public int start() throws TaskException {
            List<String> command = new ArrayList<>(List.of("chroot", rootfs.toString()));
            spec.path("args").forEach(arg -> command.add(arg.asText()));
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().clear();
            spec.path("env").forEach(pair -> {
                String[] kv = pair.asText().split("=", 2);
                builder.environment().put(kv[0], kv.length > 1 ? kv[1] : "");
            });
            try {
                process = builder.start();
            } catch (IOException e) {
                throw TaskException.internal("cannot run " + command + ": " + e.getMessage(), e);
            }
            Process p = process;
            Thread.ofPlatform().daemon().start(() -> pump(io.stdin(), p.getOutputStream()));
            CompletableFuture<Void> out = pumped(p.getInputStream(), io.stdout());
            CompletableFuture<Void> err = pumped(p.getErrorStream(), io.stderr());
            p.onExit().thenCombine(CompletableFuture.allOf(out, err), (done, pumps) -> done.exitValue())
                    .whenComplete((status, error) -> {
                        if (error != null) {
                            exit.completeExceptionally(error);
                        } else {
                            exit.complete(status);
                        }
                    });
            return (int) p.pid();
        }

        private static CompletableFuture<Void> pumped(InputStream from, OutputStream to) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> {
                pump(from, to);
                done.complete(null);
            });
            return done;
        }

        private static void pump(InputStream from, OutputStream to) {
            byte[] buffer = new byte[32 * 1024];
            try (from; to) {
                int n;
                while ((n = from.read(buffer)) >= 0) {
                    to.write(buffer, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                // The process or the client went away; the exit status says the rest.
            }
        }

        @Override
        public void kill(int signal, boolean all) throws TaskException {
            Process p = process;
            if (p == null) {
                throw TaskException.failedPrecondition("process not started");
            }
            try {
                HostCommands.run(List.of("kill", "-" + signal, Long.toString(p.pid())));
            } catch (IOException e) {
                throw TaskException.notFound("kill " + p.pid() + ": " + e.getMessage());
            }
        }

        void killNow() {
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
            }
        }

        @Override
        public void resizePty(int width, int height) throws TaskException {
            throw TaskException.unimplemented("the host test backend has no terminals");
        }

        @Override
        public CompletionStage<Integer> exit() {
            return exit;
        }

        @Override
        public void delete() {
            killNow();
        }
    }

    /** Runs small host commands (mount, umount, kill) and fails with their output. */
    static final class HostCommands {
        private HostCommands() {
        }

        static void run(List<String> command) throws IOException {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                    process.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " failed: " + output.strip());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + command, e);
            }
        }

        static boolean isMountPoint(Path path) throws IOException {
            try (var lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
                return lines.anyMatch(line -> line.split(" ")[4].equals(path.toString()));
            }
        }
    }
}
