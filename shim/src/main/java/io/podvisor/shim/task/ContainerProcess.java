package io.podvisor.shim.task;

import java.util.concurrent.CompletionStage;

/** One process of a container: its init or an exec. */
public interface ContainerProcess {
    /** The process's pid as its container sees it, 0 while it has none. */
    int pid();

    /** Runs the program; returns its pid. */
    int start() throws TaskException;

    /** Sends {@code signal}; with {@code all}, to every process of the container. */
    void kill(int signal, boolean all) throws TaskException;

    /** Resizes the process's terminal (terminal mode only). */
    void resizePty(int width, int height) throws TaskException;

    /**
     * Completes with the exit status (128+n when killed by signal n) once the process has exited
     * <em>and</em> all its output was written to its {@link io.podvisor.shim.io.ProcessIo}; completes
     * exceptionally when the exit status cannot be known (the VM died).
     */
    CompletionStage<Integer> exit();

    /** An exec process that is deleted: release what it holds. Not called for init (see {@link Container#delete()}). */
    void delete() throws TaskException;
}
