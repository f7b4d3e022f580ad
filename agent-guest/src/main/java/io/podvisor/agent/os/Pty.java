package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.Libc;
import io.podvisor.libc.NativeMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A pseudo-terminal pair. The agent keeps only the master; the child opens the slave by
 * {@link #slavePath()} as its controlling terminal, so the master reads EOF once the child's side is gone.
 */
public final class Pty implements AutoCloseable {

    private static final long TIOCSWINSZ = 0x5414;

    private final Fd master;
    private final String slavePath;

    private Pty(Fd master, String slavePath) {
        this.master = master;
        this.slavePath = slavePath;
    }

    public static Pty open(int rows, int columns) throws IOException {
        int fd = ErrnoException.check(LIBC.posixOpenpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC), "posix_openpt");
        try (Arena arena = Arena.ofConfined()) {
            Pty pty = null;
            try {
                ErrnoException.check(LIBC.grantpt(fd), "grantpt");
                ErrnoException.check(LIBC.unlockpt(fd), "unlockpt");
                MemorySegment name = arena.allocate(128);
                int rc = LIBC.ptsnameR(fd, name.address(), name.byteSize());
                if (rc != 0) {
                    throw new ErrnoException("ptsname_r", rc);
                }
                pty = new Pty(new Fd(fd), NativeMemory.string(name));
                if (rows > 0 && columns > 0) {
                    pty.resize(rows, columns);
                }
                return pty;
            } catch (IOException | RuntimeException | Error e) {
                if (pty != null) {
                    pty.close();
                } else {
                    new Fd(fd).close();
                }
                throw e;
            }
        }
    }

    /** A terminal whose master someone else opened, e.g. an OCI runtime through its console socket. */
    public static Pty ofMaster(Fd master) {
        return new Pty(master, null);
    }

    public Fd master() {
        return master;
    }

    /** The slave's path, null for a terminal known only by its master. */
    public String slavePath() {
        return slavePath;
    }

    /** Sets the terminal size (TIOCSWINSZ); the kernel sends SIGWINCH to the foreground process group. */
    public void resize(int rows, int columns) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            // struct winsize: rows, columns, then two unused pixel sizes
            MemorySegment winsize = arena.allocate(8, 2);
            NativeMemory.view(winsize).putShort(0, (short) rows).putShort(2, (short) columns);
            ErrnoException.check(LIBC.ioctl(master.value(), TIOCSWINSZ, winsize.address()), "ioctl(TIOCSWINSZ)");
        }
    }

    @Override
    public void close() {
        master.close();
    }
}
