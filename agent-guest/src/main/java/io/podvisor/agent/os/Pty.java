package io.podvisor.agent.os;

import static io.podvisor.agent.os.Libc.LIBC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A pseudo-terminal pair. The agent keeps only the master; the child opens the slave by
 * {@link #slavePath()} as its controlling terminal, so the master reads EOF once the child's side is gone.
 */
public final class Pty implements AutoCloseable {

    private final Fd master;
    private final String slavePath;

    private Pty(Fd master, String slavePath) {
        this.master = master;
        this.slavePath = slavePath;
    }

    public static Pty open(int rows, int columns) throws IOException {
        int fd = LIBC.posixOpenpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
        if (fd < 0) {
            throw Libc.failure("posix_openpt", -fd);
        }
        try (Arena arena = Arena.ofConfined()) {
            Pty pty = null;
            try {
                int rc = LIBC.grantpt(fd);
                if (rc != 0) {
                    throw Libc.failure("grantpt", -rc);
                }
                rc = LIBC.unlockpt(fd);
                if (rc != 0) {
                    throw Libc.failure("unlockpt", -rc);
                }
                MemorySegment name = arena.allocate(128);
                rc = LIBC.ptsnameR(fd, name.address(), name.byteSize());
                if (rc != 0) {
                    throw Libc.failure("ptsname_r", rc);
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
            int rc = LIBC.ioctl(master.value(), Libc.Pty.TIOCSWINSZ, winsize.address());
            if (rc != 0) {
                throw Libc.failure("ioctl(TIOCSWINSZ)", -rc);
            }
        }
    }

    @Override
    public void close() {
        master.close();
    }
}
