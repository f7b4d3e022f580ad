package io.podvisor.agent.process;

import io.podvisor.agent.os.ExitStatus;
import io.podvisor.agent.os.Fd;
import io.podvisor.agent.os.Pty;
import java.io.IOException;

/**
 * A started process, as {@link RunningProcess} drives it.
 *
 * @param name how logs and errors name it
 * @param pid the pid reported in {@code started}
 * @param reapPid the agent's child whose end is the process's end: the process itself, or the crun that runs it
 * @param stdin where stdin goes: a pipe's write end, or the terminal's master
 * @param pty the terminal, null without one
 * @param stdout read for stdout: a pipe, or the terminal's master
 * @param stderr read for stderr; null when a terminal carries everything
 * @param control signals the process and hears of its end
 */
public record LaunchedProcess(String name, int pid, int reapPid, Fd stdin, Pty pty, Fd stdout, Fd stderr,
        Control control) {

    /** What the agent does to a running process beyond its stdio. */
    public interface Control {
        void signal(int signal) throws IOException;

        /** Called once the process has been reaped, before its exit is reported. */
        default void exited(ExitStatus status) {}
    }
}
