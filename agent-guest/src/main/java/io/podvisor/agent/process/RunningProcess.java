package io.podvisor.agent.process;

import com.google.protobuf.ByteString;
import io.podvisor.agent.os.ExitStatus;
import io.podvisor.agent.os.Fd;
import io.podvisor.agent.os.Processes;
import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessOutput;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A started child: pumps its output into the {@link OutputSink}, feeds its stdin, and sends {@code exit}
 * once it has been reaped and its output has drained.
 */
final class RunningProcess {

    private static final Logger LOG = Logger.getLogger(RunningProcess.class.getName());
    private static final int CHUNK = 32 * 1024;
    private static final int SIGKILL = 9;
    /** How long output may keep flowing after the exit: background children can hold the pipe open. */
    private static final Duration OUTPUT_DRAIN_LIMIT = Duration.ofSeconds(2);
    private static final byte[] TERMINAL_EOF = {4};

    private final LaunchedProcess launched;
    private final OutputSink sink;
    private final CountDownLatch outputDrained;
    private volatile boolean exited;

    RunningProcess(LaunchedProcess launched, OutputSink sink) {
        this.launched = launched;
        this.sink = sink;
        List<Output> outputs = new ArrayList<>();
        outputs.add(new Output(launched.stdout(), b -> ProcessOutput.newBuilder().setStdout(b).build()));
        if (launched.stderr() != null) {
            outputs.add(new Output(launched.stderr(), b -> ProcessOutput.newBuilder().setStderr(b).build()));
        }
        this.outputDrained = new CountDownLatch(outputs.size());
        for (Output output : outputs) {
            daemon("out-" + launched.pid() + "-fd" + output.fd().value(), () -> pump(output));
        }
        daemon("wait-" + launched.pid(), this::awaitExit);
    }

    /** One output stream of the child and how its chunks are wrapped. */
    private record Output(Fd fd, Function<ByteString, ProcessOutput> message) {}

    String name() {
        return launched.name();
    }

    void writeStdin(byte[] data) {
        try {
            launched.stdin().write(data);
        } catch (IOException e) {
            // The child closed its stdin or exited: input past that point has no reader, as with a pipe.
            LOG.fine(() -> name() + ": stdin dropped: " + e.getMessage());
        }
    }

    void closeStdin() {
        if (launched.pty() != null) {
            writeStdin(TERMINAL_EOF);
        } else {
            launched.stdin().close();
        }
    }

    void signal(int signal) throws IOException {
        if (!exited) {
            launched.control().signal(signal);
        }
    }

    void resize(int rows, int columns) throws IOException {
        if (launched.pty() != null) {
            launched.pty().resize(rows, columns);
        }
    }

    /** The client went away: the process has no one to report to. */
    void kill() {
        try {
            signal(SIGKILL);
        } catch (IOException e) {
            LOG.warning(name() + ": cannot kill after the client left: " + e.getMessage());
        }
    }

    private void pump(Output output) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(CHUNK);
            int n;
            while ((n = output.fd().read(buffer)) > 0) {
                sink.sendOutput(output.message().apply(ByteString.copyFrom(buffer.asSlice(0, n).asByteBuffer())));
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, name() + ": reading output failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // A pty master is also stdin; with the slave gone, input has no reader either.
            output.fd().close();
            outputDrained.countDown();
        }
    }

    private void awaitExit() {
        ExitStatus status;
        try {
            status = Processes.waitFor(launched.reapPid());
        } catch (IOException e) {
            sink.fail(io.grpc.Status.INTERNAL.withDescription(name() + ": " + e.getMessage()).asRuntimeException());
            return;
        }
        exited = true;
        if (launched.pty() == null) {
            launched.stdin().close();
        }
        launched.control().exited(status);
        try {
            if (!outputDrained.await(OUTPUT_DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.info(name() + ": output still open " + OUTPUT_DRAIN_LIMIT.toSeconds()
                        + "s after exit (a background child holds it); reporting the exit");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sink.finish(ProcessOutput.newBuilder()
                .setExit(ProcessExit.newBuilder().setExitCode(status.exitCode()).setSignal(status.signal()))
                .build());
    }

    private static void daemon(String name, Runnable task) {
        Thread.ofPlatform().name(name).daemon().start(task);
    }
}
