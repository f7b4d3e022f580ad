package io.podvisor.agent.container;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.podvisor.agent.os.Fd;
import io.podvisor.agent.os.Pipe;
import io.podvisor.agent.os.Spawner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Holds a container exec that has a terminal of a given size until the agent knows the terminal has that size.
 * crun's exec parent sizes the pty only after it has let the process go (crun 1.8.1 here, and still 1.29.1), so a
 * command that reads its size at once could see 0x0. The exec's process object therefore names a small gate
 * program, which crun gets as descriptor 3 and the process runs as {@code /proc/self/fd/3}: it waits for the
 * agent to write a byte into the pipe that is its descriptor 4, closes both and then runs the command,
 * searching PATH as crun does (src/main/c/exec-gate.c). A command that cannot be run ends the process with 127
 * (not found) or 126; a gate the agent closes without that byte (crun failed) ends it with 125. The program is
 * written per exec into the bundle, so that directory must not be on a noexec mount (the guest's /run is not).
 */
final class TerminalGate implements AutoCloseable {

    /** The number of descriptors crun passes on to the process ({@code crun exec --preserve-fds}). */
    static final int PRESERVED_FDS = 2;
    private static final int PROGRAM_FD = 3;
    private static final int RELEASE_FD = 4;
    private static final String PROGRAM = "/proc/self/fd/" + PROGRAM_FD;

    private final Path program;
    private final Pipe release;

    private TerminalGate(Path program, Pipe release) {
        this.program = program;
        this.release = release;
    }

    /** Writes the gate program to {@code program}; it goes again once crun has it open. */
    static TerminalGate create(Path program) throws IOException {
        Files.deleteIfExists(program);
        Files.write(program, ExecGateProgram.bytes());
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("r-xr-xr-x"));
        return new TerminalGate(program, Pipe.open());
    }

    /** Puts the gate in front of the command of an exec's OCI process object. */
    static void putInFront(ObjectNode process) {
        process.withArray("args").insert(0, PROGRAM);
    }

    /** What crun gets beside its stdio, to pass on to the process. */
    List<Spawner.Passed> passed() {
        return List.of(new Spawner.Passed.ReadOnlyFile(PROGRAM_FD, program.toString()),
                new Spawner.Passed.Descriptor(RELEASE_FD, release.readEnd()));
    }

    /** crun has its descriptors: the agent's copy of the read end and the program's name are not needed. */
    void spawned() throws IOException {
        release.readEnd().close();
        Files.deleteIfExists(program);
    }

    /** Lets the command run. */
    void open() {
        try (Fd writeEnd = release.writeEnd()) {
            writeEnd.write(new byte[] {1});
        } catch (IOException e) {
            // the gate is gone already (the process was killed): its end is reported as the process's
        }
    }

    @Override
    public void close() {
        release.readEnd().close();
        release.writeEnd().close();
        try {
            Files.deleteIfExists(program);
        } catch (IOException e) {
            // the bundle goes as a whole when the container is removed
        }
    }
}
