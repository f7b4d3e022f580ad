package io.podvisor.shim.agent;

import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.TerminalSize;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A process running in the guest through one RunProcess stream: its pid once started, its exit
 * once it ended and all its output was written out, and the inputs the stream carries.
 */
public final class GuestProcess {
    private final CompletableFuture<Integer> pid = new CompletableFuture<>();
    private final CompletableFuture<ProcessExit> exit = new CompletableFuture<>();
    private final StdinPump pump;

    GuestProcess(StdinPump pump) {
        this.pump = pump;
    }

    /** Completes with the guest pid once the process runs; exceptionally if it could not start. */
    public CompletionStage<Integer> pid() {
        return pid;
    }

    /** Completes once the process exited and all its output was written to the host streams. */
    public CompletionStage<ProcessExit> exit() {
        return exit;
    }

    public void signal(int signal) {
        pump.send(ProcessInput.newBuilder().setSignal(signal).build());
    }

    public void resize(int rows, int columns) {
        pump.send(ProcessInput.newBuilder()
                .setResize(TerminalSize.newBuilder().setRows(rows).setColumns(columns)).build());
    }

    void started(int guestPid) {
        pid.complete(guestPid);
        pump.startWhenStarted();
    }

    void exited(ProcessExit status) {
        pid.complete(0);
        exit.complete(status);
        pump.stop();
    }

    void failed(Throwable t) {
        pid.completeExceptionally(t);
        exit.completeExceptionally(t);
        pump.stop();
    }
}
