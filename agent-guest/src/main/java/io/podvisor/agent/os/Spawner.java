package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.Libc;
import io.podvisor.libc.NativeMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Starts a child with posix_spawn in a new session, default signal handling, an empty signal mask and
 * no descriptors beyond its stdio and those passed to it explicitly. Unlike {@link ProcessBuilder}, the caller reaps it with
 * {@link Processes#waitFor}, which tells an exit code from a signal.
 */
public final class Spawner {

    /** Where the child's stdin, stdout and stderr go. */
    public sealed interface Stdio {
        /** The child's ends of three pipes. */
        record Pipes(Fd stdin, Fd stdout, Fd stderr) implements Stdio {}

        /** A pty slave, opened in the child after setsid so it becomes the controlling terminal. */
        record Terminal(String slavePath) implements Stdio {}
    }

    /** A descriptor the child gets beside its stdio, at number {@code target}: 3, then 4, and so on. */
    public sealed interface Passed {
        int target();

        /** One of the agent's descriptors, duplicated. */
        record Descriptor(int target, Fd fd) implements Passed {}

        /** A file the child opens read-only. */
        record ReadOnlyFile(int target, String path) implements Passed {}
    }

    /** posix_spawn's opaque glibc structures, sized with room to spare (x86_64: 80, 336 and 128 bytes). */
    private static final long FILE_ACTIONS_SIZE = 256;
    private static final long ATTR_SIZE = 512;
    private static final long SIGSET_SIZE = 128;

    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;

    private static final int FIRST_PASSED = 3;

    private Spawner() {}

    /** Returns the child's pid. */
    public static int spawn(String executable, List<String> argv, List<String> env, String cwd, Stdio stdio)
            throws IOException {
        return spawn(executable, argv, env, cwd, stdio, List.of());
    }

    /**
     * Returns the child's pid. Descriptors are duplicated in the order given before any file is opened, so a
     * descriptor of the agent's that happens to have a target's number reaches its own target first.
     */
    public static int spawn(String executable, List<String> argv, List<String> env, String cwd, Stdio stdio,
            List<Passed> passed) throws IOException {
        for (int i = 0; i < passed.size(); i++) {
            if (passed.get(i).target() != FIRST_PASSED + i) {
                throw new IllegalArgumentException("passed descriptors must be numbered from " + FIRST_PASSED
                        + " in order: " + passed);
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(FILE_ACTIONS_SIZE, 16);
            MemorySegment attr = arena.allocate(ATTR_SIZE, 16);
            long actionsAddress = actions.address();
            long attrAddress = attr.address();
            check("posix_spawn_file_actions_init", LIBC.posixSpawnFileActionsInit(actionsAddress));
            try {
                check("posix_spawnattr_init", LIBC.posixSpawnattrInit(attrAddress));
                try {
                    addStdio(arena, actionsAddress, stdio);
                    addPassed(arena, actionsAddress, passed);
                    if (cwd != null && !cwd.isEmpty()) {
                        check("posix_spawn_file_actions_addchdir_np",
                                LIBC.posixSpawnFileActionsAddChdir(actionsAddress, NativeMemory.cString(arena, cwd)));
                    }
                    check("posix_spawn_file_actions_addclosefrom_np",
                            LIBC.posixSpawnFileActionsAddClosefrom(actionsAddress, FIRST_PASSED + passed.size()));
                    configureSignalsAndSession(arena, attrAddress);
                    MemorySegment pid = arena.allocate(4, 4);
                    int rc = LIBC.posixSpawn(pid.address(), NativeMemory.cString(arena, executable), actionsAddress,
                            attrAddress, stringArray(arena, argv).address(), stringArray(arena, env).address());
                    if (rc != 0) {
                        throw new SpawnException("cannot start " + executable + ": " + LIBC.strerror(rc), rc);
                    }
                    return NativeMemory.view(pid).getInt(0);
                } finally {
                    LIBC.posixSpawnattrDestroy(attrAddress);
                }
            } finally {
                LIBC.posixSpawnFileActionsDestroy(actionsAddress);
            }
        }
    }

    private static void addStdio(Arena arena, long actions, Stdio stdio) throws IOException {
        switch (stdio) {
            case Stdio.Pipes pipes -> {
                check("adddup2", LIBC.posixSpawnFileActionsAddDup2(actions, pipes.stdin().value(), 0));
                check("adddup2", LIBC.posixSpawnFileActionsAddDup2(actions, pipes.stdout().value(), 1));
                check("adddup2", LIBC.posixSpawnFileActionsAddDup2(actions, pipes.stderr().value(), 2));
            }
            case Stdio.Terminal terminal -> {
                check("addopen", LIBC.posixSpawnFileActionsAddOpen(actions, 0,
                        NativeMemory.cString(arena, terminal.slavePath()), Libc.O_RDWR, 0));
                check("adddup2", LIBC.posixSpawnFileActionsAddDup2(actions, 0, 1));
                check("adddup2", LIBC.posixSpawnFileActionsAddDup2(actions, 0, 2));
            }
        }
    }

    private static void addPassed(Arena arena, long actions, List<Passed> passed) throws IOException {
        for (Passed each : passed) {
            if (each instanceof Passed.Descriptor descriptor) {
                check("adddup2", LIBC.posixSpawnFileActionsAddDup2(actions, descriptor.fd().value(), descriptor.target()));
            }
        }
        for (Passed each : passed) {
            if (each instanceof Passed.ReadOnlyFile file) {
                check("addopen", LIBC.posixSpawnFileActionsAddOpen(actions, file.target(),
                        NativeMemory.cString(arena, file.path()), Libc.O_RDONLY, 0));
            }
        }
    }

    private static void configureSignalsAndSession(Arena arena, long attr) throws IOException {
        long all = arena.allocate(SIGSET_SIZE, 8).address();
        long none = arena.allocate(SIGSET_SIZE, 8).address();
        check("sigfillset", LIBC.sigfillset(all));
        check("sigemptyset", LIBC.sigemptyset(none));
        check("posix_spawnattr_setsigdefault", LIBC.posixSpawnattrSetsigdefault(attr, all));
        check("posix_spawnattr_setsigmask", LIBC.posixSpawnattrSetsigmask(attr, none));
        short flags = (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
        check("posix_spawnattr_setflags", LIBC.posixSpawnattrSetflags(attr, flags));
    }

    private static MemorySegment stringArray(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(8L * (strings.size() + 1), 8);
        ByteBuffer pointers = NativeMemory.view(array);
        for (int i = 0; i < strings.size(); i++) {
            pointers.putLong(8 * i, NativeMemory.cString(arena, strings.get(i)));
        }
        return array;
    }

    private static void check(String call, int rc) throws IOException {
        if (rc != 0) {
            throw new ErrnoException(call, rc);
        }
    }
}
