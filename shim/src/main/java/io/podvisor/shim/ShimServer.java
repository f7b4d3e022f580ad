package io.podvisor.shim;

import static io.podvisor.libc.Libc.LIBC;
import static io.podvisor.libc.Libc.O_CLOEXEC;
import static io.podvisor.libc.Libc.O_NONBLOCK;
import static io.podvisor.libc.Libc.O_RDWR;
import static io.podvisor.libc.Libc.O_WRONLY;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.NativeMemory;
import io.podvisor.shim.events.ForwardingEventPublisher;
import io.podvisor.shim.task.Sandbox;
import io.podvisor.shim.task.TaskService;
import io.podvisor.shim.ttrpc.TtrpcClient;
import io.podvisor.shim.ttrpc.TtrpcServer;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The long-lived shim: detaches into its own session, logs to the bundle's {@code log} fifo, serves
 * the Task API on its socket and tells the {@code start} process "ready" on stdout; runs until
 * containerd shuts it down.
 */
final class ShimServer {
    /** Set by the launcher when it starts the JVM without the shim's AOT cache: why, and how to rebuild it. */
    static final String AOT_PROBLEM_ENV = "PODVISOR_AOT_PROBLEM";
    /** Set by {@code start} when the pod could not have a warm VM: why, for the shim's log. */
    static final String COLD_START_ENV = "PODVISOR_COLD_START";
    /** Seconds a shim waits for containerd's first connection (60 unless set; tests shorten it). */
    static final String CONNECT_TIMEOUT_ENV = "PODVISOR_SHIM_CONNECT_TIMEOUT_SECONDS";
    /** Seconds a shim whose VM died waits for a containerd to connect again (300 unless set; tests shorten it). */
    static final String ORPHAN_TIMEOUT_ENV = "PODVISOR_SHIM_ORPHAN_SECONDS";

    private ShimServer() {
    }

    /** {@code mainAt}: when main began (wall clock, ms), for the start-up timing line. */
    static int serve(ShimContext context, SandboxProvider provider, String version, long mainAt) {
        PrintStream startChannel = System.out;
        Optional<String> noSession = newSession();
        logTo(context);
        ShimLog log = ShimLog.forId(context.id());
        noSession.ifPresent(log::warn);
        Sandbox sandbox;
        try {
            sandbox = provider.open(context);
        } catch (Exception e) {
            log.error("cannot open the sandbox", e);
            startChannel.println("cannot open the sandbox of " + context.id() + ": " + e.getMessage());
            return 1;
        }
        String coldStart = System.getenv(COLD_START_ENV);
        if (coldStart != null && !coldStart.isEmpty()) {
            log.info("pod " + context.id() + " boots cold: " + coldStart);
        }
        return serveTasks(context, sandbox, version, mainAt, answer -> {
            startChannel.println(answer);
            startChannel.flush();
            if (answer.equals(StartCommand.READY)) {
                redirect("/dev/null", 1);
            }
        });
    }

    /**
     * Serves the Task API for {@code sandbox} on the context's socket until containerd shuts the shim down; {@code
     * answer} takes "ready" once it listens, else what went wrong (for the {@code start} that waits).
     */
    static int serveTasks(ShimContext context, Sandbox sandbox, String version, long mainAt, Consumer<String> answer) {
        ShimLog log = ShimLog.forId(context.id());
        ForwardingEventPublisher publisher = new ForwardingEventPublisher(context.namespace(),
                TtrpcClient.forSocket(ShimAddress.toPath(context.ttrpcAddress())));
        CountDownLatch stop = new CountDownLatch(1);
        TaskService tasks = new TaskService(sandbox, publisher, stop::countDown, version);
        TtrpcServer server;
        try {
            server = TtrpcServer.bind(context.socket(), tasks.ttrpcServices(),
                    (message, error) -> log.error(message, error));
        } catch (FileAlreadyExistsException e) {
            answer.accept(StartCommand.IN_USE);
            sandbox.shutdown();
            return 3;
        } catch (IOException e) {
            log.error("cannot listen", e);
            answer.accept(e.getMessage());
            sandbox.shutdown();
            return 1;
        }
        Thread onSignal = new Thread(server::close, "shim-exit");
        Runtime.getRuntime().addShutdownHook(onSignal);
        log.info("shim listening on " + context.socket() + " (pid " + ProcessHandle.current().pid() + ")");
        StartTimes.describe(System.getenv(StartTimes.ENV), mainAt, System.currentTimeMillis()).ifPresent(log::debug);
        String aotProblem = System.getenv(AOT_PROBLEM_ENV);
        if (aotProblem != null && !aotProblem.isEmpty()) {
            log.warn(aotProblem);
        }
        answer.accept(StartCommand.READY);
        endWhenAbandoned(server, sandbox, stop, log);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("shutting down: containers " + tasks.containerIds());
        try {
            sandbox.shutdown();
        } catch (RuntimeException e) {
            log.error("sandbox shutdown failed", e);
        }
        publisher.close(Duration.ofSeconds(10));
        server.close();
        Runtime.getRuntime().removeShutdownHook(onSignal);
        log.info("shim exited");
        return 0;
    }

    /**
     * A shim nobody uses ends instead of waiting for ever: one containerd never dialed (its start failed after
     * "ready", and containerd gave up on it), and one whose pod ended under it (its VM died) while no containerd
     * was connected for the orphan wait (the containerd that ran it is gone; once one is back, it finds the shim's
     * socket dead and cleans up the bundle as for a killed shim).
     */
    private static void endWhenAbandoned(TtrpcServer server, Sandbox sandbox, CountDownLatch stop, ShimLog log) {
        Duration connectWait = Duration.ofSeconds(EnvNumber.of(CONNECT_TIMEOUT_ENV, 60));
        Duration orphanWait = Duration.ofSeconds(EnvNumber.of(ORPHAN_TIMEOUT_ENV, 300));
        long started = System.nanoTime();
        Thread.ofVirtual().start(() -> {
            long orphanSince = 0;
            try {
                while (!stop.await(1, TimeUnit.SECONDS)) {
                    long now = System.nanoTime();
                    if (!server.everConnected() && now - started >= connectWait.toNanos()) {
                        log.warn("nothing connected to " + server.socket() + " within " + connectWait.toSeconds()
                                + " s of start: containerd does not use this shim (its start failed); shutting down");
                        stop.countDown();
                    } else if (!server.everConnected() || !sandbox.ended() || server.connections() > 0) {
                        orphanSince = 0;
                    } else if (orphanSince == 0) {
                        orphanSince = now;
                    } else if (now - orphanSince >= orphanWait.toNanos()) {
                        log.warn("the pod's VM died and no containerd has been connected to " + server.socket()
                                + " for " + orphanWait.toSeconds() + " s: shutting down; a containerd that comes"
                                + " back cleans up the pod's tasks as for a killed shim");
                        stop.countDown();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * A new session: containerd may kill the start command's process group. Returns what went wrong, for the log
     * the caller sets up next.
     */
    static Optional<String> newSession() {
        try {
            ErrnoException.check(LIBC.setsid(), "setsid");
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot start a new session: " + e.getMessage());
        }
    }

    /** stderr to the bundle's log fifo (containerd copies it into its own log), else /dev/null. */
    static void logTo(ShimContext context) {
        Path logFifo = context.bundle().resolve("log");
        boolean logged = Files.exists(logFifo)
                && redirect(logFifo.toString(), 2, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (!logged) {
            redirect("/dev/null", 2);
        }
        ShimLog.configure(System.err, context.namespace(), context.debug());
    }

    private static void redirect(String path, int target) {
        redirect(path, target, O_RDWR | O_CLOEXEC);
    }

    /** Points {@code target} (0, 1 or 2) at {@code path}, opened with {@code flags}; false if that fails. */
    private static boolean redirect(String path, int target, int flags) {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = LIBC.open(NativeMemory.cString(arena, path), flags, 0);
        }
        if (fd < 0) {
            return false;
        }
        int moved = LIBC.dup2(fd, target);
        if (fd != target) {
            LIBC.close(fd);
        }
        return moved >= 0;
    }
}
