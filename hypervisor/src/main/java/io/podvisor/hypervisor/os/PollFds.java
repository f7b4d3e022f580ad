package io.podvisor.hypervisor.os;

import io.podvisor.libc.NativeMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static io.podvisor.libc.Libc.LIBC;

/** An array of {@code struct pollfd} (int fd, short events, short revents) for poll(2). */
public final class PollFds {
    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;
    private static final int SIZE = 8;

    private final MemorySegment array;
    private final ByteBuffer view;

    /** Room for {@code capacity} entries in {@code arena}. */
    public PollFds(Arena arena, int capacity) {
        this.array = arena.allocate((long) SIZE * capacity, 4);
        this.view = NativeMemory.view(array);
    }

    /** Entry {@code index} waits for {@code events} on {@code fd}; its revents are cleared. */
    public void set(int index, int fd, short events) {
        view.putInt(SIZE * index, fd);
        view.putShort(SIZE * index + 4, events);
        view.putShort(SIZE * index + 6, (short) 0);
    }

    public short revents(int index) {
        return view.getShort(SIZE * index + 6);
    }

    /** poll(2) over the first {@code count} entries: how many are ready, or -errno. */
    public int poll(int count, int timeoutMillis) {
        if ((long) count * SIZE > array.byteSize()) {
            throw new IndexOutOfBoundsException(count + " pollfds, room for " + array.byteSize() / SIZE);
        }
        return LIBC.poll(array.address(), count, timeoutMillis);
    }
}
