package io.podvisor.agent.process;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.podvisor.agent.os.Fd;
import io.podvisor.agent.os.Pipe;
import io.podvisor.agent.os.Pty;
import io.podvisor.agent.os.SpawnException;
import io.podvisor.agent.os.Spawner;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.proto.agent.v1.ProcessStarted;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/** One RunProcess call: the first message starts the process, later ones feed it. */
public final class ProcessSession implements StreamObserver<ProcessInput> {

    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final Logger LOG = Logger.getLogger(ProcessSession.class.getName());

    private final OutputSink sink;
    private volatile RunningProcess process;
    private boolean failed;

    public ProcessSession(StreamObserver<ProcessOutput> responses) {
        this.sink = new OutputSink((ServerCallStreamObserver<ProcessOutput>) responses, this::clientLeft);
    }

    @Override
    public void onNext(ProcessInput input) {
        if (failed) {
            return;
        }
        try {
            if (process == null) {
                if (input.getInputCase() != ProcessInput.InputCase.START) {
                    throw Status.INVALID_ARGUMENT
                            .withDescription("the first RunProcess message must carry start, not " + input.getInputCase())
                            .asRuntimeException();
                }
                process = start(input.getStart());
                if (sink.isCancelled()) {
                    process.kill();
                }
                return;
            }
            switch (input.getInputCase()) {
                case START -> throw Status.INVALID_ARGUMENT
                        .withDescription("process " + process.pid() + " is already started").asRuntimeException();
                case STDIN -> process.writeStdin(input.getStdin().toByteArray());
                case STDIN_EOF -> process.closeStdin();
                case SIGNAL -> process.signal(input.getSignal());
                case RESIZE -> process.resize(input.getResize().getRows(), input.getResize().getColumns());
                case INPUT_NOT_SET -> { }
            }
        } catch (StatusRuntimeException e) {
            failed = true;
            sink.fail(e);
            if (process != null) {
                process.kill();
            }
        } catch (IOException e) {
            LOG.warning("process " + (process == null ? "?" : process.pid()) + ": " + e.getMessage());
        }
    }

    @Override
    public void onError(Throwable t) {
        clientLeft();
    }

    /** The client has no more input: for a pipe that is stdin EOF, so `cat` ends. */
    @Override
    public void onCompleted() {
        if (process != null && !failed) {
            process.closeStdin();
        }
    }

    private void clientLeft() {
        if (process != null) {
            process.kill();
        }
    }

    private RunningProcess start(ProcessStart start) throws IOException {
        if (start.getArgsCount() == 0 || start.getArgs(0).isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("RunProcess start has no command (args is empty)")
                    .asRuntimeException();
        }
        String command = start.getArgs(0);
        List<String> env = new ArrayList<>(start.getEnvList());
        String path = env.stream().filter(e -> e.startsWith("PATH=")).map(e -> e.substring(5)).findFirst()
                .orElse(DEFAULT_PATH);
        if (path == DEFAULT_PATH) {
            env.add("PATH=" + DEFAULT_PATH);
        }
        Path cwd = Path.of(start.getCwd().isEmpty() ? System.getProperty("user.dir") : start.getCwd());
        if (!Files.isDirectory(cwd)) {
            throw Status.INVALID_ARGUMENT.withDescription("working directory " + cwd + " does not exist in the guest")
                    .asRuntimeException();
        }
        String executable = ExecutableLookup.find(command, path, cwd).orElseThrow(() -> Status.NOT_FOUND
                .withDescription("command not found in the guest: " + command
                        + (command.contains("/") ? "" : " (PATH=" + path + ")"))
                .asRuntimeException());
        String cwdArg = start.getCwd().isEmpty() ? null : cwd.toString();
        return start.getTerminal()
                ? startOnTerminal(start, executable, env, cwdArg)
                : startOnPipes(start, executable, env, cwdArg);
    }

    private RunningProcess startOnPipes(ProcessStart start, String executable, List<String> env, String cwd)
            throws IOException {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        Pipe err = Pipe.open();
        int pid;
        try {
            pid = spawn(start, executable, env, cwd,
                    new Spawner.Stdio.Pipes(in.readEnd(), out.writeEnd(), err.writeEnd()));
        } catch (RuntimeException | IOException e) {
            closeAll(in.writeEnd(), out.readEnd(), err.readEnd());
            throw e;
        } finally {
            closeAll(in.readEnd(), out.writeEnd(), err.writeEnd());
        }
        sink.send(started(pid));
        return new RunningProcess(pid, describe(start, pid), in.writeEnd(), null, List.of(
                new RunningProcess.Output(out.readEnd(), b -> ProcessOutput.newBuilder().setStdout(b).build()),
                new RunningProcess.Output(err.readEnd(), b -> ProcessOutput.newBuilder().setStderr(b).build())),
                sink);
    }

    private RunningProcess startOnTerminal(ProcessStart start, String executable, List<String> env, String cwd)
            throws IOException {
        Pty pty = Pty.open(start.getRows(), start.getColumns());
        int pid;
        try {
            pid = spawn(start, executable, env, cwd, new Spawner.Stdio.Terminal(pty.slavePath()));
        } catch (RuntimeException | IOException e) {
            pty.close();
            throw e;
        }
        sink.send(started(pid));
        return new RunningProcess(pid, describe(start, pid), pty.master(), pty, List.of(
                new RunningProcess.Output(pty.master(), b -> ProcessOutput.newBuilder().setStdout(b).build())),
                sink);
    }

    private static int spawn(ProcessStart start, String executable, List<String> env, String cwd,
            Spawner.Stdio stdio) throws IOException {
        try {
            return Spawner.spawn(executable, start.getArgsList(), env, cwd, stdio);
        } catch (SpawnException e) {
            Status status = switch (e.errno()) {
                case SpawnException.ENOENT -> Status.NOT_FOUND;
                case SpawnException.EACCES -> Status.PERMISSION_DENIED;
                default -> Status.FAILED_PRECONDITION;
            };
            throw status.withDescription("cannot run " + start.getArgs(0) + " in the guest: " + e.getMessage())
                    .asRuntimeException();
        }
    }

    private static ProcessOutput started(int pid) {
        return ProcessOutput.newBuilder().setStarted(ProcessStarted.newBuilder().setPid(pid)).build();
    }

    private static String describe(ProcessStart start, int pid) {
        return "process " + pid + " (" + start.getArgs(0) + ")";
    }

    private static void closeAll(Fd... fds) {
        for (Fd fd : fds) {
            fd.close();
        }
    }
}
