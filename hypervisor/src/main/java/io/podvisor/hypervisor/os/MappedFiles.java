package io.podvisor.hypervisor.os;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.ImageCode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared read-write mappings of files that several threads use and one closes: on the JVM they belong to a
 * shared arena, whose close makes any later access fail instead of touching unmapped memory. A native image
 * cannot close a shared arena (that needs a JVM handshake the image lacks), so there they are plain segments
 * unmapped on close, and the owner must make sure no access outlives it.
 */
public final class MappedFiles implements AutoCloseable {
    private record Mapping(long address, long length) {}

    /** Null in a native image. */
    private final Arena arena = ImageCode.NATIVE ? null : Arena.ofShared();
    private final List<Mapping> unmapOnClose = new ArrayList<>();

    /** Maps {@code length} bytes of {@code fd} from its start; valid until {@link #close()}. */
    public synchronized MemorySegment map(int fd, long length) throws ErrnoException {
        long address = SharedMemory.map(fd, length);
        if (arena != null) {
            return MemorySegment.ofAddress(address).reinterpret(length, arena, s -> SharedMemory.unmap(address, length));
        }
        unmapOnClose.add(new Mapping(address, length));
        return MemorySegment.ofAddress(address).reinterpret(length);
    }

    @Override
    public synchronized void close() {
        if (arena != null) {
            arena.close();
        }
        for (Mapping m : unmapOnClose) {
            SharedMemory.unmap(m.address(), m.length());
        }
        unmapOnClose.clear();
    }
}
