package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.Libc;
import io.podvisor.libc.NativeMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Waiting for and signalling the agent's own children. */
public final class Processes {

    private Processes() {}

    /** Blocks until child {@code pid} ends and reaps it. */
    public static ExitStatus waitFor(int pid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(4, 4);
            while (true) {
                int rc = LIBC.waitpid(pid, status.address(), 0);
                if (rc == pid) {
                    return ExitStatus.fromWaitStatus(NativeMemory.view(status).getInt(0));
                }
                if (rc < 0 && rc != -Libc.EINTR) {
                    throw new ErrnoException("waitpid(" + pid + ")", -rc);
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
        throw new ErrnoException("kill(" + pid + ", " + signal + ")", -rc);
    }
}
