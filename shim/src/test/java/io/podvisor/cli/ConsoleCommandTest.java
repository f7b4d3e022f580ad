package io.podvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ConsoleCommandTest {
    @TempDir
    Path runDir;

    private PodVmStatus pod() throws Exception {
        Path dir = Files.createDirectories(runDir.resolve("pods/0123456789abcdef"));
        return new PodVmStatus(dir, null, PodVmStatus.UNKNOWN, 0, ProcStats.NONE, Duration.ZERO);
    }

    @Test
    void optionsTakeOnePodAndFollow() {
        assertEquals(new ConsoleCommand.Options("ab12", true), ConsoleCommand.Options.parse(List.of("-f", "ab12")));
        assertEquals(new ConsoleCommand.Options("ab12", false), ConsoleCommand.Options.parse(List.of("ab12")));
        assertThrows(IllegalArgumentException.class, () -> ConsoleCommand.Options.parse(List.of()));
        assertThrows(IllegalArgumentException.class, () -> ConsoleCommand.Options.parse(List.of("a", "b")));
        assertThrows(IllegalArgumentException.class, () -> ConsoleCommand.Options.parse(List.of("-x", "a")));
    }

    @Test
    void printsTheConsoleLog() throws Exception {
        PodVmStatus pod = pod();
        Files.writeString(pod.consoleLog(), "[    0.000000] Linux version 6.1.0\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertEquals(0, ConsoleCommand.run(pod, false, new PrintStream(out), new PrintStream(new ByteArrayOutputStream())));
        assertEquals("[    0.000000] Linux version 6.1.0\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aPodWithoutConsoleLogIsAnErrorNamingIt() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(1, ConsoleCommand.run(pod(), false, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)));
        assertTrue(err.toString().contains("pod 0123456789abcdef has no console log yet"), err.toString());
    }

    @Test
    @Timeout(30)
    void followPrintsWhatTheGuestWritesUntilThePodDirectoryGoes() throws Exception {
        PodVmStatus pod = pod();
        Files.writeString(pod.consoleLog(), "booting\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream printer = new PrintStream(out, true);

        CompletableFuture<Integer> following = CompletableFuture.supplyAsync(() -> {
            try {
                return ConsoleCommand.run(pod, true, printer, new PrintStream(new ByteArrayOutputStream()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        awaitOutput(out, "booting\n");
        Files.writeString(pod.consoleLog(), "agent ready\n", StandardOpenOption.APPEND);
        awaitOutput(out, "booting\nagent ready\n");
        assertTrue(!following.isDone(), "follow returned while the pod still exists");

        Files.delete(pod.consoleLog());
        Files.delete(pod.dir());
        assertEquals(0, following.get(10, TimeUnit.SECONDS));
    }

    @Test
    @Timeout(30)
    void followEndsWhenItsReaderHasGone() throws Exception {
        PodVmStatus pod = pod();
        Files.writeString(pod.consoleLog(), "booting\n");
        PrintStream closedPipe = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        });

        assertEquals(0, ConsoleCommand.run(pod, true, closedPipe, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(Files.isDirectory(pod.dir()), "the pod still runs: follow ended because its reader went");
    }

    private static void awaitOutput(ByteArrayOutputStream out, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!out.toString(StandardCharsets.UTF_8).equals(expected)) {
            assertTrue(System.nanoTime() < deadline, "output after 10 s: " + out.toString(StandardCharsets.UTF_8));
            Thread.sleep(20);
        }
    }
}
