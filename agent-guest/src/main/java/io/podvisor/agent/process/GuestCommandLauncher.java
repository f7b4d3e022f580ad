package io.podvisor.agent.process;

import io.grpc.Status;
import io.podvisor.agent.os.Fd;
import io.podvisor.agent.os.Pipe;
import io.podvisor.agent.os.Processes;
import io.podvisor.agent.os.Pty;
import io.podvisor.agent.os.SpawnException;
import io.podvisor.agent.os.Spawner;
import io.podvisor.proto.agent.v1.ProcessStart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a plain command in the guest (no container): args, env, cwd and terminal as the request says. */
public final class GuestCommandLauncher implements ProcessLauncher {

    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    @Override
    public LaunchedProcess launch(ProcessStart start) throws IOException {
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

    private static LaunchedProcess startOnPipes(ProcessStart start, String executable, List<String> env, String cwd)
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
        return new LaunchedProcess(describe(start, pid), pid, pid, in.writeEnd(), null, out.readEnd(), err.readEnd(),
                signal -> Processes.signal(pid, signal));
    }

    private static LaunchedProcess startOnTerminal(ProcessStart start, String executable, List<String> env,
            String cwd) throws IOException {
        Pty pty = Pty.open(start.getRows(), start.getColumns());
        int pid;
        try {
            pid = spawn(start, executable, env, cwd, new Spawner.Stdio.Terminal(pty.slavePath()));
        } catch (RuntimeException | IOException e) {
            pty.close();
            throw e;
        }
        return new LaunchedProcess(describe(start, pid), pid, pid, pty.master(), pty, pty.master(), null,
                signal -> Processes.signal(pid, signal));
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

    private static String describe(ProcessStart start, int pid) {
        return "process " + pid + " (" + start.getArgs(0) + ")";
    }

    private static void closeAll(Fd... fds) {
        for (Fd fd : fds) {
            fd.close();
        }
    }
}
