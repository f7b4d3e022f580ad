package io.podvisor.it.critest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podvisor.it.containerd.OciImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LookupShellTest {
    @Test
    void theLibrariesAreTheFilesLddFindsAtTheSamePathsInTheImage() throws IOException {
        String ldd = """
                \tlinux-vdso.so.1 (0x00007ffd4b9f1000)
                \tlibresolv.so.2 => /lib/x86_64-linux-gnu/libresolv.so.2 (0x00007f1280c0a000)
                \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1280a28000)
                \t/lib64/ld-linux-x86-64.so.2 (0x00007f1280ced000)
                """;
        assertEquals(Map.of(
                "/lib/x86_64-linux-gnu/libresolv.so.2", Path.of("/lib/x86_64-linux-gnu/libresolv.so.2"),
                "/lib/x86_64-linux-gnu/libc.so.6", Path.of("/lib/x86_64-linux-gnu/libc.so.6"),
                "/lib64/ld-linux-x86-64.so.2", Path.of("/lib64/ld-linux-x86-64.so.2")),
                LookupShell.libraries(ldd));
    }

    @Test
    void aLibraryLddDoesNotFindIsAnError() {
        String ldd = "\tlibresolv.so.2 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1280a28000)\n";
        IOException e = assertThrows(IOException.class, () -> LookupShell.libraries(ldd));
        assertTrue(e.getMessage().contains("libresolv.so.2"), e.getMessage());
    }

    @Test
    void aStaticBinaryHasNoLibrariesToFind() {
        assertThrows(IOException.class, () -> LookupShell.libraries("\tnot a dynamic executable\n"));
    }

    @Test
    void busyboxStaticIsRefusedForItsShellRunsAppletsWithoutExec() {
        assumeTrue(Files.isExecutable(OciImages.BUSYBOX), "busybox-static is not installed");
        IOException e = assertThrows(IOException.class, () -> LookupShell.of(OciImages.BUSYBOX));
        assertTrue(e.getMessage().contains("without looking it up in PATH"), e.getMessage());
    }

    @Test
    void aMissingFileIsRefused() {
        IOException e = assertThrows(IOException.class, () -> LookupShell.of(Path.of("/nonexistent/busybox")));
        assertTrue(e.getMessage().contains("not an executable busybox"), e.getMessage());
    }
}
