package io.podvisor.agent.os;

import static io.podvisor.agent.os.Libc.LIBC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** A close-on-exec pipe; the child's end is dup'ed onto its stdio by {@link Spawner}. */
public record Pipe(Fd readEnd, Fd writeEnd) {

    public static Pipe open() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(8, 4);
            int rc = LIBC.pipe2(fds.address(), Libc.O_CLOEXEC);
            if (rc != 0) {
                throw Libc.failure("pipe2", -rc);
            }
            ByteBuffer ends = NativeMemory.view(fds);
            return new Pipe(new Fd(ends.getInt(0)), new Fd(ends.getInt(4)));
        }
    }
}
