package io.podvisor.agent.os;

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
            MemorySegment state = Libc.errnoState(arena);
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                int rc = (int) Libc.Spawn.WAITPID.invokeExact(state, pid, status, 0);
                if (rc == pid) {
                    return ExitStatus.fromWaitStatus(status.get(JAVA_INT, 0));
                }
                if (rc < 0 && Libc.errno(state) != Libc.EINTR) {
                    throw Libc.failure("waitpid(" + pid + ")", Libc.errno(state));
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("waitpid(" + pid + ")", t);
        }
    }

    /** Sends {@code signal}; returns false if the process is already gone. */
    public static boolean signal(int pid, int signal) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            int rc = (int) Libc.Spawn.KILL.invokeExact(state, pid, signal);
            if (rc == 0) {
                return true;
            }
            if (Libc.errno(state) == Libc.ESRCH) {
                return false;
            }
            throw Libc.failure("kill(" + pid + ", " + signal + ")", Libc.errno(state));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("kill(" + pid + ")", t);
        }
    }
}
