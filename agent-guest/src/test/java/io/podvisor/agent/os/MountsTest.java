package io.podvisor.agent.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountsTest {

    @TempDir
    Path dir;

    @Test
    void flagOptionsBecomeBitsAndTheRestData() {
        Mounts.Options options = Mounts.parse(List.of("ro", "nosuid", "nodev", "size=1m", "mode=700", "relatime"));

        assertEquals(1 | 2 | 4 | (1L << 21), options.flags());
        assertEquals("size=1m,mode=700", options.data());
        assertEquals(0, Mounts.parse(List.of("ro", "rw")).flags());
    }

    @Test
    void mountsATmpfsOnAFreshDirectory() throws Exception {
        Path target = dir.resolve("a/b/mnt");
        Mounts.mount("podvisor-test", target, "tmpfs", List.of("size=1m", "nosuid", "mode=700"));
        try {
            String mount = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(line -> line.contains(" " + target + " ")).findFirst().orElseThrow();
            assertTrue(mount.contains("nosuid") && mount.contains(" - tmpfs podvisor-test ")
                    && mount.contains("size=1024k") && mount.contains("mode=700"), mount);
        } finally {
            new ProcessBuilder("umount", target.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void failureNamesSourceTargetAndType() {
        IOException e = assertThrows(IOException.class,
                () -> Mounts.mount("pod", dir.resolve("share"), "no-such-fs", List.of()));

        assertTrue(e.getMessage().contains("pod on " + dir.resolve("share") + " (no-such-fs)")
                && e.getMessage().contains("No such device"), e.getMessage());
    }
}
