package io.podvisor.shim.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirsTest {
    @TempDir
    Path tmp;

    @Test
    void newDirectorySweepsThoseOfDeadProcessesOnly() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path dead = Files.createDirectories(tmp.resolve(gone.pid() + "-1"));
        Files.writeString(dead.resolve("vsock.sock"), "left behind");
        Path foreign = Files.createDirectories(tmp.resolve("not-a-pid"));

        Path mine = RunDirs.forThisProcess(tmp);

        assertFalse(Files.exists(dead));
        assertTrue(Files.isDirectory(foreign));
        assertTrue(Files.isDirectory(mine));
        assertTrue(mine.getFileName().toString().startsWith(ProcessHandle.current().pid() + "-"));
    }

    @Test
    void removeOfMissingDirectoryIsFine() throws IOException {
        RunDirs.remove(tmp.resolve("absent"));
        assertFalse(Files.exists(tmp.resolve("absent")));
    }
}
