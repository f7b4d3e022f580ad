package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.Libc;
import io.podvisor.libc.NativeMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** A close-on-exec pipe; the child's end is dup'ed onto its stdio by {@link Spawner}. */
public record Pipe(Fd readEnd, Fd writeEnd) {

    public static Pipe open() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(8, 4);
            ErrnoException.check(LIBC.pipe2(fds.address(), Libc.O_CLOEXEC), "pipe2");
            ByteBuffer ends = NativeMemory.view(fds);
            return new Pipe(new Fd(ends.getInt(0)), new Fd(ends.getInt(4)));
        }
    }
}
