package io.podvisor.shim;

import static io.podvisor.libc.Libc.LIBC;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.podvisor.libc.ErrnoException;
import io.podvisor.shim.config.WarmPoolShape;
import java.io.File;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The node's warm pool: VMs booted ahead of their pods, each in a process of its own (this binary's {@code warm-vm}
 * action, {@link WarmMember}) that becomes the shim of the pod that claims it. In the pool's directory each VM
 * process leaves {@code NAME.pid} while it runs and {@code NAME.sock} once its agent is ready; {@code start} claims
 * a ready VM of its pod's shape under the directory's lock, and starts the VMs the pool then lacks.
 */
public final class WarmPool {
    static final String ACTION = "warm-vm";
    static final String NAMESPACE = "podvisor-warm";
    /** How long a pool VM's process waits before it boots, in ms. */
    static final String BOOT_DELAY_ENV = "PODVISOR_WARM_BOOT_DELAY_MS";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "warm-";
    private static final Path NICE = Path.of("/usr/bin/nice");
    private static final int BOOT_NICENESS = 10;
    /** setpriority(2) on x86_64, and its "every process of the group" target; "0" names the caller's group. */
    private static final long SYS_SETPRIORITY = 141;
    private static final long PRIO_PGRP = 1;

    private final WarmPoolPlan plan;

    public WarmPool(WarmPoolPlan plan) {
        this.plan = plan;
    }

    /** A pool VM's process: booting, or ready to be claimed. */
    public record Member(String name, String shape, long pid, boolean ready) {
        /** The VM's process and the processes it started (the VMM, virtiofsd); none once it has exited. */
        public List<ProcessHandle> processes() {
            return ProcessHandle.of(pid).map(p -> Stream.concat(Stream.of(p), p.descendants()).toList())
                    .orElse(List.of());
        }
    }

    /** What {@link #claim} found: the VM that took the container, or why the pod boots cold. */
    record Claim(Optional<String> vm, String coldReason) {
    }

    public WarmPoolPlan plan() {
        return plan;
    }

    /** The pool's VM processes that are alive; what a dead one left is cleaned up on the way. */
    public List<Member> members() throws IOException {
        List<Member> members = new ArrayList<>();
        if (!Files.isDirectory(plan.dir())) {
            return members;
        }
        List<Path> pidFiles;
        try (Stream<Path> files = Files.list(plan.dir())) {
            pidFiles = files.filter(f -> f.getFileName().toString().endsWith(".pid")).sorted().toList();
        }
        for (Path pidFile : pidFiles) {
            String name = pidFile.getFileName().toString().replaceFirst("\\.pid$", "");
            Optional<ProcessHandle> process = recordedProcess(pidFile);
            if (process.isPresent()) {
                members.add(new Member(name, shapeOf(name), process.get().pid(), Files.exists(socket(name))));
            } else {
                forget(name);
            }
        }
        return members;
    }

    /**
     * Takes a ready VM of the pod's shape for the shim {@code context} describes (its socket, bundle, containerd's
     * addresses): the VM's process starts serving the Task API on that socket and answers once it listens.
     */
    Claim claim(ShimContext context) throws IOException {
        Optional<String> shape = plan.shapeOf(context.bundle());
        if (shape.isEmpty()) {
            return new Claim(Optional.empty(), "its VM size cannot be read from the sandbox spec yet");
        }
        if (!plan.sizes().containsKey(shape.get())) {
            return new Claim(Optional.empty(), "the warm pool keeps no VM of its shape " + describe(shape.get())
                    + " (it keeps " + String.join(", ", plan.sizes().keySet().stream().map(WarmPool::describe).toList())
                    + ")");
        }
        try (FileLock lock = lock()) {
            int booting = 0;
            int stale = 0;
            for (Member member : members()) {
                if (!member.shape().equals(shape.get())) {
                    continue;
                }
                if (!member.ready()) {
                    booting++;
                    continue;
                }
                String answer = ask(member.name(), request(context));
                if (answer.equals(StartCommand.READY)) {
                    return new Claim(Optional.of(member.name()), "");
                }
                // start has no log of its own (its stdout is the reply): the pod's cold start reason counts these.
                if (answer.startsWith("stale: ")) {
                    stale++;
                }
            }
            return new Claim(Optional.empty(), "no warm VM of its shape " + describe(shape.get()) + " is ready ("
                    + booting + " booting, " + (stale > 0 ? stale + " stopped as stale, " : "") + "pool size "
                    + plan.sizes().get(shape.get()) + ")"
                    + refused().map(why -> "; " + why).orElse(""));
        }
    }

    /**
     * Starts, each in a detached process, the VMs the pool lacks of each shape, each booting after {@code bootDelay};
     * refuses when they would not fit in the host's available memory. Returns what it started or why not.
     */
    public String refill(List<String> selfCommand, Optional<Path> config, Duration bootDelay) throws IOException {
        try (FileLock lock = lock()) {
            Map<String, Long> present = new HashMap<>();
            for (Member member : members()) {
                present.merge(member.shape(), 1L, Long::sum);
            }
            List<String> shapes = new ArrayList<>();
            long neededMiB = 0;
            for (Map.Entry<String, Integer> entry : plan.sizes().entrySet()) {
                for (long i = present.getOrDefault(entry.getKey(), 0L); i < entry.getValue(); i++) {
                    shapes.add(entry.getKey());
                    neededMiB += plan.hostMiB(entry.getKey());
                }
            }
            if (shapes.isEmpty()) {
                return "the warm pool is full";
            }
            long availableMiB = HostMemory.availableMiB();
            if (neededMiB > availableMiB) {
                String first = shapes.getFirst();
                String refused = "warm pool refused: " + shapes.size() + " more VMs (" + String.join(", ",
                        shapes.stream().map(WarmPool::describe).toList()) + ") need " + neededMiB + " MiB of host memory"
                        + " (guest memory + " + (plan.hostMiB(first) - WarmPoolShape.memoryMiBOf(first))
                        + " MiB of host processes each), the host has " + availableMiB + " MiB available: lower the"
                        + " [[pool]] sizes in " + config.map(Path::toString).orElse("the podvisor config");
                Files.writeString(refusedFile(), refused + "\n");
                return refused;
            }
            Files.deleteIfExists(refusedFile());
            List<String> started = new ArrayList<>();
            for (String shape : shapes) {
                started.add(spawn(selfCommand, config, shape, bootDelay));
            }
            return "warm pool: starting " + String.join(", ", started);
        }
    }

    /** Why the last refill was refused, if it was. */
    public Optional<String> refused() throws IOException {
        return Files.exists(refusedFile()) ? Optional.of(Files.readString(refusedFile()).strip()) : Optional.empty();
    }

    /** Stops every pool VM (SIGTERM: each powers its guest off), then whatever is left after {@code grace}. */
    public void stop(Duration grace) throws IOException {
        List<Member> members = members();
        for (Member member : members) {
            ProcessHandle.of(member.pid()).ifPresent(ProcessHandle::destroy);
        }
        long deadline = System.nanoTime() + grace.toNanos();
        for (Member member : members) {
            ProcessHandle.of(member.pid()).ifPresent(p -> {
                try {
                    p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    p.destroyForcibly();
                }
            });
        }
        members();
        Files.deleteIfExists(refusedFile());
    }

    private String spawn(List<String> selfCommand, Optional<Path> config, String shape, Duration bootDelay)
            throws IOException {
        String name = PREFIX + shape + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        // A pool VM boots while pods start: at a lower priority, so the pods that are starting come first.
        List<String> command = new ArrayList<>(List.of(NICE.toString(), "-n", Integer.toString(BOOT_NICENESS)));
        command.addAll(selfCommand);
        command.addAll(List.of("-namespace", NAMESPACE, "-id", name, ACTION));
        File devNull = new File("/dev/null");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(new File("/"))
                .redirectInput(devNull)
                .redirectOutput(devNull)
                .redirectError(ProcessBuilder.Redirect.appendTo(log(name).toFile()));
        config.ifPresent(c -> builder.environment().put("PODVISOR_CONFIG", c.toString()));
        builder.environment().put(BOOT_DELAY_ENV, Long.toString(bootDelay.toMillis()));
        writePidFile(name, builder.start().toHandle());
        return name;
    }

    /**
     * Gives every thread of this process group (this process, the VMM and virtiofsd it started) the default priority
     * again: the pool VM is a pod's now. Returns what failed, if anything.
     */
    static Optional<String> restorePriority() {
        try {
            ErrnoException.check(LIBC.syscall(SYS_SETPRIORITY, PRIO_PGRP, 0, 0, 0, 0), "setpriority");
            return Optional.empty();
        } catch (ErrnoException e) {
            return Optional.of(e.getMessage());
        }
    }

    private FileLock lock() throws IOException {
        Files.createDirectories(plan.dir());
        Files.setPosixFilePermissions(plan.dir(), PosixFilePermissions.fromString("rwx------"));
        FileChannel channel = FileChannel.open(plan.dir().resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
            return channel.lock();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static ObjectNode request(ShimContext context) {
        ObjectNode request = JSON.createObjectNode()
                .put("namespace", context.namespace())
                .put("id", context.id())
                .put("address", context.containerdAddress())
                .put("ttrpcAddress", context.ttrpcAddress())
                .put("publishBinary", context.publishBinary())
                .put("bundle", context.bundle().toString())
                .put("socket", context.socket().toString())
                .put("debug", context.debug())
                .put("version", ShimMain.version());
        return request;
    }

    static ShimContext context(JsonNode request) {
        return new ShimContext(request.path("namespace").asText(), request.path("id").asText(),
                request.path("address").asText(), request.path("ttrpcAddress").asText(),
                request.path("publishBinary").asText(), Path.of(request.path("bundle").asText()),
                request.path("debug").asBoolean(), Path.of(request.path("socket").asText()));
    }

    /** Sends the claim to VM {@code name} and returns its one-line answer. */
    private String ask(String name, ObjectNode request) {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket(name)))) {
            channel.write(ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            return new String(readAll(channel), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "cannot reach " + socket(name) + ": " + e.getMessage();
        }
    }

    private static byte[] readAll(SocketChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
            // an answer is one short line
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** Removes the files of a VM process that is gone, and what its VM left. */
    private void forget(String name) throws IOException {
        plan.cleanup(name);
        Files.deleteIfExists(socket(name));
        Files.deleteIfExists(pidFile(name));
    }

    Path socket(String name) {
        return plan.dir().resolve(name + ".sock");
    }

    Path pidFile(String name) {
        return plan.dir().resolve(name + ".pid");
    }

    Path log(String name) {
        return plan.dir().resolve(name + ".log");
    }

    private Path refusedFile() {
        return plan.dir().resolve("refused");
    }

    /**
     * NAME.pid holds "PID START", START the process's start in ms since the epoch: a pid the kernel has given to
     * another process since is not taken for the VM's (which its command line could not tell while the new process
     * had not exec'd yet).
     */
    void writePidFile(String name, ProcessHandle process) throws IOException {
        Files.writeString(pidFile(name), process.pid() + " " + startMillis(process));
    }

    /** The live process a pid file names, if it is still the one that wrote it (the same start time). */
    private static Optional<ProcessHandle> recordedProcess(Path pidFile) {
        try {
            String[] words = Files.readString(pidFile).strip().split(" ");
            long start = words.length == 2 ? Long.parseLong(words[1]) : -1;
            return ProcessHandle.of(Long.parseLong(words[0])).filter(p -> p.isAlive() && startMillis(p) == start);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static long startMillis(ProcessHandle process) {
        return process.info().startInstant().map(Instant::toEpochMilli).orElse(-2L);
    }

    /** "warm-2x256-1a2b3c4d" → "2x256". */
    static String shapeOf(String name) {
        return name.substring(PREFIX.length(), name.lastIndexOf('-'));
    }

    /** "2x256" → "2 vCPUs, 256 MiB". */
    static String describe(String shape) {
        return WarmPoolShape.vcpusOf(shape) + " vCPUs, " + WarmPoolShape.memoryMiBOf(shape) + " MiB";
    }
}
