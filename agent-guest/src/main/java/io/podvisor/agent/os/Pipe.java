package io.podvisor.agent.os;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A close-on-exec pipe; the child's end is dup'ed onto its stdio by {@link Spawner}. */
public record Pipe(Fd readEnd, Fd writeEnd) {

    public static Pipe open() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.errnoState(arena);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int rc = (int) Libc.Fds.PIPE2.invokeExact(state, fds, Libc.O_CLOEXEC);
            if (rc != 0) {
                throw Libc.failure("pipe2", Libc.errno(state));
            }
            return new Pipe(new Fd(fds.getAtIndex(JAVA_INT, 0)), new Fd(fds.getAtIndex(JAVA_INT, 1)));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("pipe2", t);
        }
    }
}
