package io.podvisor.agent.container;

import io.grpc.Status;
import io.podvisor.agent.os.ConsoleSocket;
import io.podvisor.agent.os.ExitStatus;
import io.podvisor.agent.os.Fd;
import io.podvisor.agent.os.Pipe;
import io.podvisor.agent.os.Poll;
import io.podvisor.agent.os.Processes;
import io.podvisor.agent.os.Pty;
import io.podvisor.agent.os.Spawner;
import io.podvisor.agent.process.LaunchedProcess;
import io.podvisor.libc.NativeMemory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.IntFunction;

/**
 * Starts a container process through a foreground crun ({@code run} or {@code exec}) and learns its pid from
 * crun's pid file. Without a terminal, crun and the process share three pipes; with one, crun sends the
 * terminal's master to a console socket and its own messages go to a pipe reported as stderr; a
 * {@link TerminalGate} then holds the process until the terminal has its size. crun stays the agent's child
 * until the process ends, and exits with its status.
 */
final class CrunLaunch {

    private static final int SIGKILL = 9;
    private static final Duration ERROR_DRAIN_LIMIT = Duration.ofSeconds(2);

    private CrunLaunch() {}

    /**
     * What to start and how long it may take to appear.
     *
     * @param gate the gate the process waits at for its terminal's size, or null
     */
    record Request(String name, List<String> crunArgv, Path pidFile, Path consoleSocket, int rows, int columns,
            TerminalGate gate, Duration timeout) {}

    /** @param control the process's control, given its pid */
    static LaunchedProcess start(Request request, IntFunction<LaunchedProcess.Control> control) throws IOException {
        Files.deleteIfExists(request.pidFile());
        return request.consoleSocket() == null ? onPipes(request, control) : onTerminal(request, control);
    }

    private static LaunchedProcess onPipes(Request request, IntFunction<LaunchedProcess.Control> control)
            throws IOException {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        Pipe err = Pipe.open();
        int crun;
        try {
            crun = spawn(request, new Spawner.Stdio.Pipes(in.readEnd(), out.writeEnd(), err.writeEnd()));
        } catch (IOException | RuntimeException e) {
            closeAll(in.writeEnd(), out.readEnd(), err.readEnd());
            throw e;
        } finally {
            closeAll(in.readEnd(), out.writeEnd(), err.writeEnd());
        }
        try (Fd exited = Poll.pidfd(crun)) {
            OptionalInt pid = PidFile.await(request.pidFile(), exited, request.timeout());
            if (pid.isEmpty()) {
                closeAll(in.writeEnd(), out.readEnd());
                throw failure(request, crun, err.readEnd());
            }
            return new LaunchedProcess(request.name() + " (pid " + pid.getAsInt() + ")", pid.getAsInt(), crun,
                    in.writeEnd(), null, out.readEnd(), err.readEnd(), control.apply(pid.getAsInt()));
        } catch (IOException | RuntimeException e) {
            closeAll(in.writeEnd(), out.readEnd(), err.readEnd());
            throw e;
        }
    }

    private static LaunchedProcess onTerminal(Request request, IntFunction<LaunchedProcess.Control> control)
            throws IOException {
        long deadline = System.nanoTime() + request.timeout().toNanos();
        Pipe in = Pipe.open();
        Pipe messages = Pipe.open();
        in.writeEnd().close();
        Pty pty = null;
        try (ConsoleSocket console = ConsoleSocket.listen(request.consoleSocket())) {
            int crun;
            try {
                crun = spawn(request, new Spawner.Stdio.Pipes(in.readEnd(), messages.writeEnd(), messages.writeEnd()));
            } finally {
                closeAll(in.readEnd(), messages.writeEnd());
            }
            try (Fd exited = Poll.pidfd(crun)) {
                Optional<Fd> master = console.receiveMaster(exited, remaining(deadline));
                if (master.isEmpty()) {
                    throw failure(request, crun, messages.readEnd());
                }
                pty = Pty.ofMaster(master.get());
                if (request.rows() > 0 && request.columns() > 0) {
                    pty.resize(request.rows(), request.columns());
                }
                if (request.gate() != null) {
                    request.gate().open();
                }
                OptionalInt pid = PidFile.await(request.pidFile(), exited, remaining(deadline));
                if (pid.isEmpty()) {
                    pty.close();
                    throw failure(request, crun, messages.readEnd());
                }
                return new LaunchedProcess(request.name() + " (pid " + pid.getAsInt() + ")", pid.getAsInt(), crun,
                        pty.master(), pty, pty.master(), messages.readEnd(), control.apply(pid.getAsInt()));
            }
        } catch (IOException | RuntimeException e) {
            messages.readEnd().close();
            if (pty != null) {
                pty.close();
            }
            throw e;
        }
    }

    private static int spawn(Request request, Spawner.Stdio stdio) throws IOException {
        List<String> env = System.getenv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        int crun;
        try {
            crun = Spawner.spawn(request.crunArgv().getFirst(), request.crunArgv(), env, null, stdio,
                    request.gate() == null ? List.of() : request.gate().passed());
        } catch (IOException e) {
            throw Status.FAILED_PRECONDITION.withDescription(request.name() + ": cannot run "
                    + request.crunArgv().getFirst() + ": " + e.getMessage()).asRuntimeException();
        }
        if (request.gate() != null) {
            request.gate().spawned();
        }
        return crun;
    }

    /**
     * crun ended (or never got the process going within the timeout) before the process appeared: reaps it and
     * says why, quoting what crun wrote.
     */
    private static RuntimeException failure(Request request, int crun, Fd messages) throws IOException {
        boolean timedOut = !exitedAlready(crun);
        if (timedOut) {
            Processes.signal(crun, SIGKILL);
        }
        ExitStatus status = Processes.waitFor(crun);
        String said = drain(messages).strip();
        Status code = timedOut ? Status.DEADLINE_EXCEEDED : Status.FAILED_PRECONDITION;
        return code.withDescription(request.name() + ": "
                + (timedOut ? "crun did not start it within " + request.timeout().toSeconds() + " s"
                        : "crun failed (exit " + status.exitCode() + ")")
                + (said.isEmpty() ? "" : ": " + said)).asRuntimeException();
    }

    private static boolean exitedAlready(int crun) throws IOException {
        try (Fd exited = Poll.pidfd(crun)) {
            return Poll.awaitReadable(Duration.ZERO, exited)[0];
        }
    }

    /** What is left in crun's output pipe, bounded: a process crun started may still hold its end. */
    private static String drain(Fd fd) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + ERROR_DRAIN_LIMIT.toNanos();
        try (Arena arena = Arena.ofConfined(); fd) {
            MemorySegment buffer = arena.allocate(4096);
            while (Poll.awaitReadable(remaining(deadline), fd)[0]) {
                int n = fd.read(buffer);
                if (n <= 0) {
                    break;
                }
                bytes.write(NativeMemory.bytes(buffer, n));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static void closeAll(Fd... fds) {
        for (Fd fd : fds) {
            fd.close();
        }
    }
}
