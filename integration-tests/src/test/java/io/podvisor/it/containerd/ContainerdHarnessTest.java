package io.podvisor.it.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The harness itself, proved with the runc runtime: a private containerd runs a locally built image. */
class ContainerdHarnessTest {
    private static final String IMAGE = "docker.io/podvisor/busybox:test";
    private static ContainerdHarness containerd;
    private static Ctr ctr;

    @BeforeAll
    static void start() throws Exception {
        containerd = ContainerdHarness.start();
        ctr = containerd.ctr("podvisor-it");
        OciImages.importBusybox(ctr, containerd.dir(), IMAGE, List.of("sh"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerd != null) {
            Path dir = containerd.dir();
            containerd.close();
            assertFalse(Files.exists(dir), "the harness leaves no directory behind");
        }
    }

    @Test
    void runcRunsTheImportedImage() {
        Ctr.Result result = ctr.run("run", "--rm", IMAGE, "smoke-echo", "echo", "hi").orThrow();
        assertEquals("hi\n", result.stdout());
    }

    @Test
    void exitStatusReachesCtr() {
        assertEquals(3, ctr.run("run", "--rm", IMAGE, "smoke-exit", "sh", "-c", "exit 3").exitCode());
    }

    @Test
    void imageIsListedInItsNamespace() {
        assertTrue(ctr.run("images", "list", "--quiet").orThrow().stdout().lines().anyMatch(IMAGE::equals));
    }
}
