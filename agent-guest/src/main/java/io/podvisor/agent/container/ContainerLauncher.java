package io.podvisor.agent.container;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Status;
import io.podvisor.agent.os.ExitStatus;
import io.podvisor.agent.os.Processes;
import io.podvisor.agent.process.LaunchedProcess;
import io.podvisor.agent.process.ProcessLauncher;
import io.podvisor.proto.agent.v1.ProcessStart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts a container's processes for RunProcess: the init with {@code crun run} (empty exec id), an exec
 * process with {@code crun exec}. The pid reported is the process's own, read from crun's pid file; the
 * exit is crun's, which is the process's status (128 + n for a signal n).
 */
public final class ContainerLauncher implements ProcessLauncher {

    private final ContainerRegistry registry;
    private final Crun crun;
    private final OomWatcher oomWatcher;
    private final Path consoleDir;
    private final Duration startTimeout;
    private final AtomicInteger consoles = new AtomicInteger();

    /**
     * @param consoleDir where console sockets go: short, as a unix socket path has at most 107 bytes
     * @param startTimeout how long crun may take to create the process
     */
    public ContainerLauncher(ContainerRegistry registry, Crun crun, OomWatcher oomWatcher, Path consoleDir,
            Duration startTimeout) {
        this.registry = registry;
        this.crun = crun;
        this.oomWatcher = oomWatcher;
        this.consoleDir = consoleDir;
        this.startTimeout = startTimeout;
    }

    @Override
    public LaunchedProcess launch(ProcessStart start) throws IOException {
        Container container = registry.get(start.getContainerId());
        return start.getExecId().isEmpty() ? launchInit(container, start) : launchExec(container, start);
    }

    private LaunchedProcess launchInit(Container container, ProcessStart start) throws IOException {
        container.beginInit(terminal(start));
        GuestBundle bundle = container.bundle();
        Path console = start.getTerminal() ? consoleSocket() : null;
        CrunLaunch.Request request = new CrunLaunch.Request("container " + container.id(),
                crun.run(bundle.dir(), bundle.initPidFile(), console, container.id()), bundle.initPidFile(), console,
                start.getRows(), start.getColumns(), null, startTimeout);
        LaunchedProcess launched;
        try {
            launched = CrunLaunch.start(request, pid -> new InitControl(container, pid));
        } catch (IOException | RuntimeException e) {
            container.initEnded();
            throw e;
        }
        container.initRunning(launched.pid());
        oomWatcher.watch(container.id(), container.cgroup().memoryEvents());
        return launched;
    }

    private LaunchedProcess launchExec(Container container, ProcessStart start) throws IOException {
        String execId = start.getExecId();
        ObjectNode process;
        try {
            process = GuestSpec.execProcess(start.getProcessJson().toByteArray(), terminal(start));
        } catch (InvalidSpecException e) {
            throw Status.INVALID_ARGUMENT.withDescription("container " + container.id() + " exec " + execId + ": "
                    + e.getMessage()).asRuntimeException();
        }
        int n = container.beginExec(execId);
        GuestBundle bundle = container.bundle();
        Path console = start.getTerminal() ? consoleSocket() : null;
        boolean sized = start.getTerminal() && GuestSpec.hasConsoleSize(process);
        try (TerminalGate gate = sized ? TerminalGate.create(bundle.execGateFile(n)) : null) {
            if (gate != null) {
                TerminalGate.putInFront(process);
            }
            GuestBundle.write(bundle.execProcessFile(n), process);
            CrunLaunch.Request request = new CrunLaunch.Request("container " + container.id() + " exec " + execId,
                    crun.exec(bundle.execProcessFile(n), bundle.execPidFile(n), console,
                            gate == null ? 0 : TerminalGate.PRESERVED_FDS, container.id()),
                    bundle.execPidFile(n), console, start.getRows(), start.getColumns(), gate, startTimeout);
            LaunchedProcess launched = CrunLaunch.start(request, pid -> new ExecControl(container, execId, n, pid));
            container.execRunning(execId, launched.pid());
            return launched;
        } catch (IOException | RuntimeException e) {
            container.execEnded(execId);
            deleteExecFiles(bundle, n);
            throw e;
        }
    }

    private static GuestSpec.Terminal terminal(ProcessStart start) {
        return new GuestSpec.Terminal(start.getTerminal(), start.getRows(), start.getColumns());
    }

    private Path consoleSocket() throws IOException {
        Files.createDirectories(consoleDir);
        return consoleDir.resolve(consoles.incrementAndGet() + ".sock");
    }

    private static void deleteExecFiles(GuestBundle bundle, int n) {
        try {
            Files.deleteIfExists(bundle.execProcessFile(n));
            Files.deleteIfExists(bundle.execPidFile(n));
        } catch (IOException e) {
            // the bundle goes as a whole when the container is removed
        }
    }

    /** The init: signals go to its pid; its end stops the container. */
    private final class InitControl implements LaunchedProcess.Control {
        private final Container container;
        private final int pid;

        InitControl(Container container, int pid) {
            this.container = container;
            this.pid = pid;
        }

        @Override
        public void signal(int signal) throws IOException {
            Processes.signal(pid, signal);
        }

        @Override
        public void exited(ExitStatus status) {
            oomWatcher.unwatch(container.id());
            container.initEnded();
        }
    }

    /** An exec process: signals go to its pid; its end frees its exec id. */
    private static final class ExecControl implements LaunchedProcess.Control {
        private final Container container;
        private final String execId;
        private final int n;
        private final int pid;

        ExecControl(Container container, String execId, int n, int pid) {
            this.container = container;
            this.execId = execId;
            this.n = n;
            this.pid = pid;
        }

        @Override
        public void signal(int signal) throws IOException {
            Processes.signal(pid, signal);
        }

        @Override
        public void exited(ExitStatus status) {
            container.execEnded(execId);
            deleteExecFiles(container.bundle(), n);
        }
    }
}
