package io.podvisor.shim.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessIoTest {
    @TempDir
    Path dir;

    private Path fifo(String name) throws Exception {
        Path path = dir.resolve(name);
        Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo " + path);
        return path;
    }

    /**
     * Reads a FIFO as containerd's client does. Opened after ProcessIo.open (whose end makes the
     * open return at once), as containerd opens its end before the shim writes.
     */
    private static CompletableFuture<byte[]> readAll(Path fifo) throws IOException {
        InputStream client = Files.newInputStream(fifo);
        return CompletableFuture.supplyAsync(() -> {
            try (client) {
                return client.readAllBytes();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, ProcessIoTest::onOwnThread);
    }

    /** Each blocking FIFO operation gets its own thread: the common pool may have just one. */
    private static void onOwnThread(Runnable task) {
        Thread.ofPlatform().daemon().start(task);
    }

    @Test
    void everythingWrittenBeforeCloseReachesTheReader() throws Exception {
        Path stdout = fifo("stdout");
        Path stderr = fifo("stderr");
        byte[] big = new byte[3 << 20];
        new Random(7).nextBytes(big);
        CompletableFuture<byte[]> out;
        CompletableFuture<byte[]> err;
        try (ProcessIo io = ProcessIo.open(new StdioPaths("", stdout.toString(), stderr.toString(), false))) {
            out = readAll(stdout);
            err = readAll(stderr);
            io.stdout().write(big);
            io.stderr().write("last words\n".getBytes(StandardCharsets.UTF_8));
            io.closeOutputs();
        }
        assertArrayEquals(big, out.get(10, TimeUnit.SECONDS));
        assertEquals("last words\n", new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }

    @Test
    void openingOutputsDoesNotWaitForTheClient() throws Exception {
        Path stdout = fifo("stdout");
        try (ProcessIo io = ProcessIo.open(new StdioPaths("", stdout.toString(), "", false))) {
            io.stdout().write("buffered until someone reads\n".getBytes(StandardCharsets.UTF_8));
            try (InputStream client = Files.newInputStream(stdout)) {
                io.closeOutputs();
                assertEquals("buffered until someone reads\n", new String(client.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void stdinEndsWhenTheClientClosesItsEnd() throws Exception {
        Path stdin = fifo("stdin");
        try (ProcessIo io = ProcessIo.open(new StdioPaths(stdin.toString(), "", "", false))) {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return io.stdin().readAllBytes();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, ProcessIoTest::onOwnThread);
            try (OutputStream client = Files.newOutputStream(stdin)) {
                client.write("hi\n".getBytes(StandardCharsets.UTF_8));
            }
            assertEquals("hi\n", new String(read.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        }
    }

    @Test
    void closeIoEndsABlockedStdinRead() throws Exception {
        Path stdin = fifo("stdin");
        try (ProcessIo io = ProcessIo.open(new StdioPaths(stdin.toString(), "", "", false))) {
            CompletableFuture<Integer> first = readByte(io);
            try (OutputStream client = Files.newOutputStream(stdin)) {
                client.write('x');
                client.flush();
                assertEquals('x', first.get(10, TimeUnit.SECONDS));
                CompletableFuture<Integer> blocked = readByte(io);
                io.closeStdin();
                assertEquals(-1, blocked.get(10, TimeUnit.SECONDS), "CloseIO ends stdin while the client keeps it open");
            }
        }
    }

    private static CompletableFuture<Integer> readByte(ProcessIo io) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return io.stdin().read();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, ProcessIoTest::onOwnThread);
    }

    @Test
    void closeIoEndsStdinWhoseClientNeverOpened() throws Exception {
        Path stdin = fifo("stdin");
        try (ProcessIo io = ProcessIo.open(new StdioPaths(stdin.toString(), "", "", false))) {
            CompletableFuture<Integer> blockedInOpen = CompletableFuture.supplyAsync(() -> {
                try {
                    return io.stdin().read();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, ProcessIoTest::onOwnThread);
            // Whether the reader is still before open(2) or blocked in it, CloseIO ends it.
            io.closeStdin();
            assertEquals(-1, blockedInOpen.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void terminalModeHasOnlyStdout() throws Exception {
        Path stdout = fifo("stdout");
        CompletableFuture<byte[]> out;
        try (ProcessIo io = ProcessIo.open(new StdioPaths("", stdout.toString(), "", true))) {
            out = readAll(stdout);
            assertTrue(io.terminal());
            io.stderr().write("dropped".getBytes(StandardCharsets.UTF_8));
            io.stdout().write("tty\r\n".getBytes(StandardCharsets.UTF_8));
            io.closeOutputs();
        }
        assertEquals("tty\r\n", new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }

    @Test
    void fileUriAppendsToAFileAndUnknownSchemesAreRefused() throws Exception {
        Path log = dir.resolve("out.log");
        try (ProcessIo io = ProcessIo.open(new StdioPaths("", "file://" + log, "", false))) {
            io.stdout().write("one\n".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals("one\n", Files.readString(log));
        IOException e = assertThrows(IOException.class,
                () -> ProcessIo.open(new StdioPaths("", "binary:///usr/bin/logger", "", false)));
        assertTrue(e.getMessage().contains("binary:///usr/bin/logger"), e.getMessage());
    }
}
