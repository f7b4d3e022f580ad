package io.podvisor.hypervisor;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One host process of a VM: the VMM or a device backend such as virtiofsd. Its stdout and stderr
 * go to a log file, it optionally runs inside a network namespace, it dies with this JVM (even a
 * SIGKILLed one) and {@link #close()} stops it with SIGTERM, then SIGKILL.
 */
public final class VmmProcess implements AutoCloseable {

    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    static final Path NSENTER = Path.of("/usr/bin/nsenter");
    private static final Duration TERM_GRACE = Duration.ofSeconds(3);
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);
    private static final int TAIL_LINES = 20;
    private static final int TAIL_BYTES = 8192;

    /*
     * The kernel sends the parent-death signal when the *thread* that forked the child ends, not
     * the process. So every child is forked by this one thread, which lives as long as the JVM.
     */
    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(task -> {
        Thread t = new Thread(task, "podvisor-vmm-spawner");
        t.setDaemon(true);
        return t;
    });

    private final String vmName;
    private final String label;
    private final Process process;
    private final Path logFile;

    private VmmProcess(String vmName, String label, Process process, Path logFile) {
        this.vmName = vmName;
        this.label = label;
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * Starts {@code argv} for VM {@code vmName}.
     *
     * @param label   what the process is, for messages ("qemu", "virtiofsd")
     * @param netns   a network namespace file (e.g. /var/run/netns/x) to run in, or null
     * @param logFile receives stdout and stderr, truncated first
     */
    public static VmmProcess start(String vmName, String label, List<String> argv, Path netns, Path logFile)
            throws VmmException {
        if (!Files.isExecutable(SETPRIV) || (netns != null && !Files.isExecutable(NSENTER))) {
            throw new VmmException("VM " + vmName + ": cannot start " + label + ": " + SETPRIV
                    + (netns != null ? " or " + NSENTER : "") + " is missing; install the util-linux package");
        }
        if (netns != null && !Files.exists(netns)) {
            throw new VmmException("VM " + vmName + ": network namespace " + netns
                    + " does not exist; was the pod's network set up (CNI) and not yet torn down?");
        }
        ProcessBuilder pb = new ProcessBuilder(launchArgv(argv, netns))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()))
                .redirectErrorStream(true);
        if (logFile.toAbsolutePath().getParent() != null) {
            pb.directory(logFile.toAbsolutePath().getParent().toFile());
        }
        Future<Process> spawned = SPAWNER.submit(pb::start);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return new VmmProcess(vmName, label, spawned.get(), logFile);
                } catch (InterruptedException e) {
                    // The spawn happens regardless; wait for it so no process escapes.
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            throw new VmmException("VM " + vmName + ": cannot start " + label + " (" + argv.getFirst() + "): "
                    + e.getCause().getMessage(), e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The command actually executed: {@code [nsenter --net=NS --] setpriv --pdeathsig KILL -- argv}. */
    static List<String> launchArgv(List<String> argv, Path netns) {
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            cmd.addAll(List.of(NSENTER.toString(), "--net=" + netns, "--"));
        }
        cmd.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        cmd.addAll(argv);
        return cmd;
    }

    public String label() {
        return label;
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return logFile;
    }

    /**
     * Waits until {@code socket} exists. The caller removes a stale one first. Fails early, with the
     * log tail, if the process exits; fails after {@code timeout} if it is still running.
     */
    public void awaitSocket(Path socket, Duration timeout) throws VmmException {
        Path dir = socket.toAbsolutePath().getParent();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (WatchService watcher = dir.getFileSystem().newWatchService()) {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
            process.onExit().thenRun(() -> closeQuietly(watcher));
            while (!Files.exists(socket)) {
                if (!process.isAlive()) {
                    throw diedWaitingFor(socket);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new VmmException("VM " + vmName + ": " + label + " did not create " + socket + " within "
                            + timeout.toSeconds() + " s though it is still running; last lines of " + logFile
                            + ":\n" + logTail());
                }
                WatchKey key = watcher.poll(left, TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
            if (Files.readAttributes(socket, BasicFileAttributes.class).isOther()) {
                awaitListening(socket, deadline, timeout);
            }
        } catch (ClosedWatchServiceException e) {
            if (!Files.exists(socket)) {
                awaitExit(KILL_WAIT);
                throw diedWaitingFor(socket);
            }
        } catch (VmmException e) {
            throw e;
        } catch (IOException e) {
            throw new VmmException("VM " + vmName + ": cannot watch " + dir + " for " + socket + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("VM " + vmName + ": interrupted while waiting for " + label + " to create " + socket, e);
        }
    }

    /**
     * A socket file appears at bind(2), a moment before listen(2); a client connecting in between
     * is refused. No file event marks listen(2), so this polls the process's own socket table
     * (its network namespace's) briefly, with backoff.
     */
    private void awaitListening(Path socket, long deadline, Duration timeout)
            throws VmmException, InterruptedException {
        Path table = Path.of("/proc", String.valueOf(process.pid()), "net", "unix");
        String path = socket.toAbsolutePath().toString();
        long pauseMillis = 1;
        while (!listening(table, path)) {
            if (!process.isAlive()) {
                throw diedWaitingFor(socket);
            }
            if (System.nanoTime() > deadline) {
                throw new VmmException("VM " + vmName + ": " + label + " created " + socket + " but did not listen on it"
                        + " within " + timeout.toSeconds() + " s; last lines of " + logFile + ":\n" + logTail());
            }
            Thread.sleep(pauseMillis);
            pauseMillis = Math.min(pauseMillis * 2, 20);
        }
    }

    /** Whether /proc/PID/net/unix lists {@code path} as a listening socket (flag __SO_ACCEPTCON). */
    static boolean listening(Path unixTable, String path) {
        try {
            for (String line : Files.readAllLines(unixTable)) {
                String[] fields = line.strip().split("\\s+");
                if (fields.length >= 8 && fields[7].equals(path)) {
                    try {
                        if ((Integer.parseInt(fields[3], 16) & 0x10000) != 0) {
                            return true;
                        }
                    } catch (NumberFormatException header) {
                        // not a socket line
                    }
                }
            }
            return false;
        } catch (IOException processGone) {
            return false;
        }
    }

    private VmmException diedWaitingFor(Path socket) {
        return died("before it created " + socket);
    }

    /** An exception saying the process ended {@code when}, with the tail of its log. */
    public VmmException died(String when) {
        return new VmmException("VM " + vmName + ": " + label + " " + exitDescription() + (when.isEmpty() ? "" : " " + when)
                + "; last lines of " + logFile + ":\n" + logTail());
    }

    /** "exited with status N", "was killed by signal N" or "is running". */
    public String exitDescription() {
        if (process.isAlive()) {
            return "is running";
        }
        int status = process.exitValue();
        // Java reports death by signal N as 128 + N.
        return status > 128 && status < 128 + 65 ? "was killed by signal " + (status - 128) : "exited with status " + status;
    }

    /** Waits up to {@code timeout} for the process to end; true if it has. */
    public boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** The last lines of the log file, indented, or a note that it is empty or unreadable. */
    public String logTail() {
        return tail(logFile, TAIL_LINES);
    }

    /** The last {@code lines} lines of {@code file}, each indented by two spaces. */
    public static String tail(Path file, int lines) {
        byte[] bytes;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long from = Math.max(0, f.length() - TAIL_BYTES);
            bytes = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(bytes);
        } catch (IOException e) {
            return "  (" + file + " is unreadable: " + e.getMessage() + ")";
        }
        List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().toList();
        if (all.isEmpty()) {
            return "  (" + file + " is empty)";
        }
        StringBuilder out = new StringBuilder();
        for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
            out.append("  ").append(line).append('\n');
        }
        return out.toString();
    }

    /** SIGKILL now and wait for the process to be reaped. */
    public void kill() {
        process.destroyForcibly();
        awaitExit(KILL_WAIT);
    }

    /** SIGTERM, up to a few seconds' grace, then SIGKILL. Never throws. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!awaitExit(TERM_GRACE)) {
            kill();
        }
    }

    private static void closeQuietly(WatchService watcher) {
        try {
            watcher.close();
        } catch (IOException ignored) {
            // Closing only wakes the waiting thread; nothing to recover.
        }
    }
}
