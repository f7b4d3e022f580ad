package io.podvisor.agent.os;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Exercises every kind of call {@link Libc} makes through the agent's own classes, on whichever
 * implementation runs here: {@code LibcCheckTest} runs it on the JVM (FFM); built into a native image as
 * its main class, it checks the {@code @CFunction} one. Prints one line per check; exits 1 if any failed.
 * Mounting needs root and is skipped without it.
 */
public final class LibcCheck {

    private static final List<String> NO_ENV = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin");

    /** One check: returns what it saw, throws when that is wrong. */
    private interface Check {
        String run(Path dir) throws Exception;
    }

    private record Named(String name, Check check) {}

    private LibcCheck() {}

    public static void main(String[] args) throws IOException {
        System.out.println("implementation: " + Libc.LIBC.getClass().getSimpleName());
        List<String> failures = run();
        System.out.println(failures.isEmpty() ? "all checks passed" : failures.size() + " checks failed: " + failures);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** Runs the checks, printing each; returns the names of those that failed. */
    static List<String> run() throws IOException {
        List<Named> checks = List.of(
                new Named("pipe2+write+read", LibcCheck::pipeCarriesBytes),
                new Named("posix_spawn+waitpid /bin/sh with pipes", LibcCheck::shellTalksThroughPipes),
                new Named("pty (posix_openpt, ioctl TIOCSWINSZ, controlling terminal)", LibcCheck::shellSeesItsTerminal),
                new Named("poll timeout and readiness", LibcCheck::pollWaitsForData),
                new Named("pidfd_open+poll", LibcCheck::pidfdBecomesReadableAtExit),
                new Named("inotify", LibcCheck::inotifySeesANewFile),
                new Named("unix socket listen+poll", LibcCheck::consoleSocketListens),
                new Named("kill", LibcCheck::killEndsAChild),
                new Named("errno EBADF from read + strerror", LibcCheck::readOfAClosedDescriptorFails),
                new Named("errno ECHILD from waitpid", LibcCheck::waitForAStrangerFails),
                new Named("errno ENOENT from inotify_add_watch", LibcCheck::watchOfAMissingFileFails),
                new Named("posix_spawn error number", LibcCheck::spawnOfAMissingProgramFails),
                new Named("mount", LibcCheck::mountsATmpfs));
        List<String> failures = new ArrayList<>();
        Path dir = Files.createTempDirectory("libc-check");
        try {
            for (int i = 0; i < checks.size(); i++) {
                Named named = checks.get(i);
                Path scratch = Files.createDirectory(dir.resolve(Integer.toString(i)));
                try {
                    System.out.println("ok    " + named.name() + ": " + named.check().run(scratch));
                } catch (Exception | Error e) {
                    failures.add(named.name());
                    System.out.println("FAIL  " + named.name() + ": " + e);
                }
            }
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        return failures;
    }

    private static String pipeCarriesBytes(Path dir) throws IOException {
        Pipe pipe = Pipe.open();
        try (Fd in = pipe.readEnd(); Fd out = pipe.writeEnd()) {
            out.write("hello through a pipe".getBytes(StandardCharsets.UTF_8));
            out.close();
            return expect("hello through a pipe", Command.readAll(in));
        }
    }

    private static String shellTalksThroughPipes(Path dir) throws IOException {
        Pipe in = Pipe.open();
        Pipe out = Pipe.open();
        Pipe err = Pipe.open();
        int pid = Spawner.spawn("/bin/sh", List.of("sh", "-c", "read line; echo \"got $line in $PWD\"; echo oops >&2; exit 7"),
                NO_ENV, dir.toString(), new Spawner.Stdio.Pipes(in.readEnd(), out.writeEnd(), err.writeEnd()));
        in.readEnd().close();
        out.writeEnd().close();
        err.writeEnd().close();
        in.writeEnd().write("ping\n".getBytes(StandardCharsets.UTF_8));
        in.writeEnd().close();
        String stdout = Command.readAll(out.readEnd());
        String stderr = Command.readAll(err.readEnd());
        ExitStatus status = Processes.waitFor(pid);
        expect("got ping in " + dir + "\n", stdout);
        expect("oops\n", stderr);
        expect(new ExitStatus(7, 0), status);
        Command.Result result = Command.run(List.of("/bin/sh", "-c", "echo via Command; kill -TERM $$"), NO_ENV);
        expect("via Command\n", result.stdout());
        expect(new ExitStatus(128 + 15, 15), result.status());
        return "pid " + pid + " read 'ping', wrote '" + stdout.strip() + "' and 'oops', " + status
                + "; Command.run: " + result.status();
    }

    private static String shellSeesItsTerminal(Path dir) throws IOException {
        try (Pty pty = Pty.open(24, 80)) {
            String script = "stty size; read line; stty size; echo \"tty $(tty) line $line\"";
            int pid = Spawner.spawn("/bin/sh", List.of("sh", "-c", script), NO_ENV, null,
                    new Spawner.Stdio.Terminal(pty.slavePath()));
            String first = readUntil(pty.master(), "\n");
            expect("24 80", first.strip());
            pty.resize(30, 100);
            pty.master().write("hi\n".getBytes(StandardCharsets.UTF_8));
            String rest = readUntil(pty.master(), "line hi");
            ExitStatus status = Processes.waitFor(pid);
            expect(true, rest.contains("30 100") && rest.contains("tty " + pty.slavePath() + " line hi"));
            expect(new ExitStatus(0, 0), status);
            return pty.slavePath() + ": 'stty size' said 24 80, then 30 100 after resize; " + status;
        }
    }

    private static String pollWaitsForData(Path dir) throws IOException {
        Pipe pipe = Pipe.open();
        try (Fd in = pipe.readEnd(); Fd out = pipe.writeEnd()) {
            long start = System.nanoTime();
            boolean[] before = Poll.awaitReadable(Duration.ofMillis(200), in);
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            expect(false, before[0]);
            expect(true, waitedMillis >= 190);
            out.write(new byte[] {1});
            boolean[] after = Poll.awaitReadable(Duration.ofSeconds(5), out, in);
            expect(true, after[1]);
            return "empty pipe timed out after " + waitedMillis + " ms; readable after a write";
        }
    }

    private static String pidfdBecomesReadableAtExit(Path dir) throws IOException {
        int pid = Spawner.spawn("/bin/sleep", List.of("sleep", "0.3"), NO_ENV, null, devNull());
        try (Fd pidfd = Poll.pidfd(pid)) {
            expect(false, Poll.awaitReadable(Duration.ZERO, pidfd)[0]);
            expect(true, Poll.awaitReadable(Duration.ofSeconds(10), pidfd)[0]);
        }
        return "pidfd of sleep " + pid + " readable once it ended; " + Processes.waitFor(pid);
    }

    private static String inotifySeesANewFile(Path dir) throws IOException {
        try (Inotify inotify = Inotify.open()) {
            int watch = inotify.watch(dir, Inotify.IN_CREATE | Inotify.IN_CLOSE_WRITE);
            Files.writeString(dir.resolve("created"), "x");
            expect(true, Poll.awaitReadable(Duration.ofSeconds(5), inotify.fd())[0]);
            List<Inotify.Event> events = inotify.read();
            expect(true, events.contains(new Inotify.Event(watch, Inotify.IN_CREATE, "created")));
            inotify.unwatch(watch);
            return "events " + events;
        }
    }

    private static String consoleSocketListens(Path dir) throws IOException {
        Path path = dir.resolve("console.sock");
        Pipe never = Pipe.open();
        try (ConsoleSocket socket = ConsoleSocket.listen(path); Fd giveUp = never.readEnd(); Fd unused = never.writeEnd()) {
            expect(true, Files.exists(path));
            expect(true, socket.receiveMaster(giveUp, Duration.ofMillis(50)).isEmpty());
        }
        return path + " bound and listening; no runtime connected within 50 ms";
    }

    private static String killEndsAChild(Path dir) throws IOException {
        int pid = Spawner.spawn("/bin/sleep", List.of("sleep", "30"), NO_ENV, null, devNull());
        expect(true, Processes.signal(pid, 9));
        ExitStatus status = Processes.waitFor(pid);
        expect(new ExitStatus(128 + 9, 9), status);
        expect(false, Processes.signal(pid, 9));
        return "SIGKILL to sleep " + pid + ": " + status + "; a second kill finds it gone (ESRCH)";
    }

    private static String readOfAClosedDescriptorFails(Path dir) {
        // -1 rather than a closed descriptor, which another thread could open again meanwhile
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(16);
            new Fd(-1).read(buffer);
            throw new AssertionError("read of a closed descriptor succeeded");
        } catch (IOException e) {
            return expect("read failed: Bad file descriptor (errno 9)", e.getMessage());
        }
    }

    private static String waitForAStrangerFails(Path dir) {
        try {
            Processes.waitFor(1);
            throw new AssertionError("waitpid(1) succeeded");
        } catch (IOException e) {
            return expect("waitpid(1) failed: No child processes (errno 10)", e.getMessage());
        }
    }

    private static String watchOfAMissingFileFails(Path dir) throws IOException {
        try (Inotify inotify = Inotify.open()) {
            inotify.watch(dir.resolve("missing"), Inotify.IN_MODIFY);
            throw new AssertionError("a watch on a missing file succeeded");
        } catch (NoSuchFileException e) {
            return "NoSuchFileException " + e.getMessage() + "; strerror(2) = " + Libc.LIBC.strerror(Libc.ENOENT);
        }
    }

    private static String spawnOfAMissingProgramFails(Path dir) {
        try {
            Spawner.spawn("/no/such/program", List.of("x"), NO_ENV, null, devNull());
            throw new AssertionError("spawning a missing program succeeded");
        } catch (SpawnException e) {
            expect(SpawnException.ENOENT, e.errno());
            return expect("cannot start /no/such/program: No such file or directory", e.getMessage());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String mountsATmpfs(Path dir) throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "skipped: not root";
        }
        Path target = dir.resolve("mnt");
        try {
            Mounts.mount("podvisor-check", target, "no-such-fs", List.of());
            throw new AssertionError("mounting a missing filesystem type succeeded");
        } catch (IOException e) {
            expect(true, e.getMessage().contains("No such device (errno 19)"));
        }
        Mounts.mount("podvisor-check", target, "tmpfs", List.of("size=1m", "nosuid"));
        try {
            String line = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(l -> l.contains(" " + target + " ")).findFirst().orElseThrow();
            expect(true, line.contains(" - tmpfs podvisor-check "));
        } finally {
            Command.run(List.of("/bin/umount", target.toString()), NO_ENV);
        }
        return "tmpfs mounted on " + target + " and unmounted; a bad type fails with ENODEV";
    }

    /** The child opens /dev/null as its stdin, stdout and stderr. */
    private static Spawner.Stdio devNull() {
        return new Spawner.Stdio.Terminal("/dev/null");
    }

    /** Reads {@code fd} until what was read contains {@code marker}, within 10 seconds. */
    private static String readUntil(Fd fd, String marker) throws IOException {
        StringBuilder text = new StringBuilder();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(1024);
            while (!text.toString().contains(marker)) {
                Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                if (!Poll.awaitReadable(left, fd)[0]) {
                    throw new AssertionError("no '" + marker + "' within 10 s; read: " + text);
                }
                int n = fd.read(buffer);
                if (n < 0) {
                    break;
                }
                text.append(new String(NativeMemory.bytes(buffer, n), StandardCharsets.UTF_8));
            }
        }
        return text.toString();
    }

    private static <T> T expect(T expected, T actual) {
        if (!expected.equals(actual)) {
            throw new AssertionError("expected " + expected + " but got " + actual);
        }
        return actual;
    }
}
