package io.podvisor.agent.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Starts a child with posix_spawn in a new session, default signal handling, an empty signal mask and
 * no descriptors beyond its stdio. Unlike {@link ProcessBuilder}, the caller reaps it with
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

    private static final int O_RDWR = 0x2;

    private Spawner() {}

    /** Returns the child's pid. */
    public static int spawn(String executable, List<String> argv, List<String> env, String cwd, Stdio stdio)
            throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(Libc.Spawn.FILE_ACTIONS_SIZE, 16);
            MemorySegment attr = arena.allocate(Libc.Spawn.ATTR_SIZE, 16);
            check("posix_spawn_file_actions_init", (int) Libc.Spawn.FA_INIT.invokeExact(actions));
            try {
                check("posix_spawnattr_init", (int) Libc.Spawn.ATTR_INIT.invokeExact(attr));
                try {
                    addStdio(arena, actions, stdio);
                    if (cwd != null && !cwd.isEmpty()) {
                        check("posix_spawn_file_actions_addchdir_np",
                                (int) Libc.Spawn.FA_CHDIR.invokeExact(actions, arena.allocateFrom(cwd)));
                    }
                    check("posix_spawn_file_actions_addclosefrom_np",
                            (int) Libc.Spawn.FA_CLOSEFROM.invokeExact(actions, 3));
                    configureSignalsAndSession(arena, attr);
                    MemorySegment pid = arena.allocate(JAVA_INT);
                    int rc = (int) Libc.Spawn.POSIX_SPAWN.invokeExact(pid, arena.allocateFrom(executable), actions,
                            attr, stringArray(arena, argv), stringArray(arena, env));
                    if (rc != 0) {
                        throw new SpawnException("cannot start " + executable + ": " + Libc.strerror(rc), rc);
                    }
                    return pid.get(JAVA_INT, 0);
                } finally {
                    int ignored = (int) Libc.Spawn.ATTR_DESTROY.invokeExact(attr);
                }
            } finally {
                int ignored = (int) Libc.Spawn.FA_DESTROY.invokeExact(actions);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("posix_spawn " + executable, t);
        }
    }

    private static void addStdio(Arena arena, MemorySegment actions, Stdio stdio) throws Throwable {
        switch (stdio) {
            case Stdio.Pipes pipes -> {
                check("adddup2", (int) Libc.Spawn.FA_DUP2.invokeExact(actions, pipes.stdin().value(), 0));
                check("adddup2", (int) Libc.Spawn.FA_DUP2.invokeExact(actions, pipes.stdout().value(), 1));
                check("adddup2", (int) Libc.Spawn.FA_DUP2.invokeExact(actions, pipes.stderr().value(), 2));
            }
            case Stdio.Terminal terminal -> {
                check("addopen", (int) Libc.Spawn.FA_OPEN.invokeExact(actions, 0,
                        arena.allocateFrom(terminal.slavePath()), O_RDWR, 0));
                check("adddup2", (int) Libc.Spawn.FA_DUP2.invokeExact(actions, 0, 1));
                check("adddup2", (int) Libc.Spawn.FA_DUP2.invokeExact(actions, 0, 2));
            }
        }
    }

    private static void configureSignalsAndSession(Arena arena, MemorySegment attr) throws Throwable {
        MemorySegment all = arena.allocate(Libc.Spawn.SIGSET_SIZE, 8);
        MemorySegment none = arena.allocate(Libc.Spawn.SIGSET_SIZE, 8);
        check("sigfillset", (int) Libc.Spawn.SIGFILLSET.invokeExact(all));
        check("sigemptyset", (int) Libc.Spawn.SIGEMPTYSET.invokeExact(none));
        check("posix_spawnattr_setsigdefault", (int) Libc.Spawn.ATTR_SETSIGDEFAULT.invokeExact(attr, all));
        check("posix_spawnattr_setsigmask", (int) Libc.Spawn.ATTR_SETSIGMASK.invokeExact(attr, none));
        short flags = (short) (Libc.Spawn.POSIX_SPAWN_SETSIGDEF | Libc.Spawn.POSIX_SPAWN_SETSIGMASK
                | Libc.Spawn.POSIX_SPAWN_SETSID);
        check("posix_spawnattr_setflags", (int) Libc.Spawn.ATTR_SETFLAGS.invokeExact(attr, flags));
    }

    private static MemorySegment stringArray(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    private static void check(String call, int rc) throws IOException {
        if (rc != 0) {
            throw Libc.failure(call, rc);
        }
    }
}
