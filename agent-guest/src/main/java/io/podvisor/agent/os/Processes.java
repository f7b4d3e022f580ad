package io.podvisor.agent.os;

import static io.podvisor.agent.os.Libc.LIBC;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Waiting for and signalling the agent's own children. */
public final class Processes {

    private Processes() {}

    /** Blocks until child {@code pid} ends and reaps it. */
    public static ExitStatus waitFor(int pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                int rc = LIBC.waitpid(pid, status.address(), 0);
                if (rc == pid) {
                    return ExitStatus.fromWaitStatus(status.get(JAVA_INT, 0));
                }
                if (rc < 0 && rc != -Libc.EINTR) {
                    throw Libc.failure("waitpid(" + pid + ")", -rc);
                }
            }
        }
    }

    /** Sends {@code signal}; returns false if the process is already gone. */
    public static boolean signal(int pid, int signal) throws IOException {
        int rc = LIBC.kill(pid, signal);
        if (rc == 0) {
            return true;
        }
        if (rc == -Libc.ESRCH) {
            return false;
        }
        throw Libc.failure("kill(" + pid + ", " + signal + ")", -rc);
    }
}
