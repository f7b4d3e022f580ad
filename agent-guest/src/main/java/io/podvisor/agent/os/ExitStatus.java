package io.podvisor.agent.os;

/**
 * How a process ended, as a shell reports it.
 *
 * @param exitCode the exit code, or 128 + the signal number when a signal ended it
 * @param signal the signal that ended it, 0 if it exited by itself
 */
public record ExitStatus(int exitCode, int signal) {

    /** Decodes a {@code waitpid} status word. */
    public static ExitStatus fromWaitStatus(int status) {
        int termSignal = status & 0x7f;
        if (termSignal == 0) {
            return new ExitStatus((status >> 8) & 0xff, 0);
        }
        return new ExitStatus(128 + termSignal, termSignal);
    }
}
