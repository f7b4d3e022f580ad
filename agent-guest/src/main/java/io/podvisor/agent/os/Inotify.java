package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.Libc;
import io.podvisor.libc.NativeMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** An inotify instance: watches files and directories, and reads what happened to them. */
public final class Inotify implements AutoCloseable {

    public static final int IN_MODIFY = 0x2;
    public static final int IN_CLOSE_WRITE = 0x8;
    public static final int IN_MOVED_TO = 0x80;
    public static final int IN_CREATE = 0x100;
    public static final int IN_IGNORED = 0x8000;

    private static final int IN_CLOEXEC = 0x80000;
    private static final int HEADER = 16;
    private static final int BUFFER = 4096;

    private final Fd fd;

    private Inotify(Fd fd) {
        this.fd = fd;
    }

    /** One event; {@code name} is the file's name inside a watched directory, empty for a watched file. */
    public record Event(int watch, int mask, String name) {}

    public static Inotify open() throws IOException {
        return new Inotify(new Fd(ErrnoException.check(LIBC.inotifyInit1(IN_CLOEXEC), "inotify_init1")));
    }

    /** Returns the watch descriptor; {@link NoSuchFileException} when {@code path} does not exist. */
    public int watch(Path path, int mask) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            int wd = LIBC.inotifyAddWatch(fd.value(), NativeMemory.cString(arena, path.toString()), mask);
            if (wd < 0) {
                int errno = -wd;
                if (errno == Libc.ENOENT) {
                    throw new NoSuchFileException(path.toString());
                }
                throw new ErrnoException("inotify_add_watch(" + path + ")", errno);
            }
            return wd;
        }
    }

    /** Stops a watch; a watch whose file is already gone is not an error. */
    public void unwatch(int watch) {
        LIBC.inotifyRmWatch(fd.value(), watch);
    }

    /** The descriptor, for {@link Poll}. */
    public Fd fd() {
        return fd;
    }

    /** Blocks until at least one event is queued and returns those read; empty once closed. */
    public List<Event> read() throws IOException {
        List<Event> events = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(BUFFER, 8);
            ByteBuffer view = NativeMemory.view(buffer);
            int n = fd.read(buffer);
            int offset = 0;
            while (n > 0 && offset + HEADER <= n) {
                int wd = view.getInt(offset);
                int mask = view.getInt(offset + 4);
                int length = view.getInt(offset + 12);
                String name = length == 0 ? "" : NativeMemory.string(buffer.asSlice(offset + HEADER, length));
                events.add(new Event(wd, mask, name));
                offset += HEADER + length;
            }
        }
        return events;
    }

    @Override
    public void close() {
        fd.close();
    }
}
