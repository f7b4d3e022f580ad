package io.podvisor.shim.vm;

import io.grpc.Status;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.ShimLog;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.AgentException;
import io.podvisor.shim.agent.GuestProcess;
import io.podvisor.shim.io.ProcessIo;
import io.podvisor.shim.task.ContainerProcess;
import io.podvisor.shim.task.TaskException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A container's init or exec process, running in the guest through one agent stream. A terminal size that
 * comes before the start (ctr tasks exec -t resizes, then starts) is the size the process starts with: the
 * agent gives the terminal that size before the command runs.
 */
final class VmProcess implements ContainerProcess {
    private static final long START_TIMEOUT_SECONDS = 60;

    private final AgentClient agent;
    private final ProcessStart start;
    private final ProcessIo io;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Object terminal = new Object();
    private GuestProcess running;
    private int initialRows;
    private int initialColumns;
    private volatile int pid;

    VmProcess(AgentClient agent, ProcessStart start, ProcessIo io) {
        this.agent = agent;
        this.start = start;
        this.io = io;
    }

    @Override
    public int pid() {
        return pid;
    }

    @Override
    public int start() throws TaskException {
        GuestProcess process;
        synchronized (terminal) {
            ProcessStart sized = initialRows > 0 && initialColumns > 0
                    ? start.toBuilder().setRows(initialRows).setColumns(initialColumns).build() : start;
            process = agent.start(sized, io.stdin(), io.stdout(), io.stderr());
            running = process;
        }
        process.exit().whenComplete((status, failure) -> {
            if (failure != null) {
                exit.completeExceptionally(failure);
            } else {
                exit.complete(status.getExitCode());
            }
        });
        try {
            pid = process.pid().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return pid;
        } catch (ExecutionException e) {
            throw failed(e.getCause());
        } catch (TimeoutException e) {
            throw TaskException.internal(describe() + " did not start within " + START_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TaskException.internal(describe() + ": interrupted while starting", e);
        }
    }

    @Override
    public void kill(int signal, boolean all) throws TaskException {
        try {
            agent.signalProcess(start.getContainerId(), start.getExecId(), signal, all);
        } catch (AgentException e) {
            throw failed(e);
        }
    }

    @Override
    public void resizePty(int width, int height) throws TaskException {
        GuestProcess process;
        synchronized (terminal) {
            if (running == null) {
                initialRows = height;
                initialColumns = width;
                ShimLog.forId(start.getContainerId()).info(describe() + ": terminal " + width + "x" + height
                        + " before the start, which it starts with");
                return;
            }
            process = running;
        }
        ShimLog.forId(start.getContainerId()).debug(describe() + ": terminal resized to " + width + "x" + height);
        process.resize(height, width);
    }

    @Override
    public CompletionStage<Integer> exit() {
        return exit;
    }

    @Override
    public void delete() {
        // An exec process holds nothing beyond its stream, which ended with it.
    }

    private String describe() {
        return "container " + start.getContainerId() + (start.getExecId().isEmpty() ? "" : " exec " + start.getExecId());
    }

    static TaskException failed(Throwable cause) {
        if (cause instanceof AgentException e) {
            return switch (e.code() == null ? Status.Code.UNKNOWN : e.code()) {
                case NOT_FOUND -> TaskException.notFound(e.getMessage());
                case INVALID_ARGUMENT -> TaskException.invalidArgument(e.getMessage());
                case FAILED_PRECONDITION -> TaskException.failedPrecondition(e.getMessage());
                case ALREADY_EXISTS -> TaskException.alreadyExists(e.getMessage());
                default -> TaskException.internal(e.getMessage(), e);
            };
        }
        return TaskException.internal(String.valueOf(cause.getMessage()), cause);
    }
}
