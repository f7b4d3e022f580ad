package io.podvisor.agent.os;

import static io.podvisor.agent.os.Libc.LIBC;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A close-on-exec pipe; the child's end is dup'ed onto its stdio by {@link Spawner}. */
public record Pipe(Fd readEnd, Fd writeEnd) {

    public static Pipe open() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int rc = LIBC.pipe2(fds.address(), Libc.O_CLOEXEC);
            if (rc != 0) {
                throw Libc.failure("pipe2", -rc);
            }
            return new Pipe(new Fd(fds.getAtIndex(JAVA_INT, 0)), new Fd(fds.getAtIndex(JAVA_INT, 1)));
        }
    }
}
