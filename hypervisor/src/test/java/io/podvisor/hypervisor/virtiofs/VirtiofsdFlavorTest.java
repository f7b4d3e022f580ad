package io.podvisor.hypervisor.virtiofs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.VmmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class VirtiofsdFlavorTest {
    private static final Path S = Path.of("/run/p/virtiofsd-pod.sock");
    private static final Path D = Path.of("/run/p/shared");

    @Test
    void qemuVersionGetsFuseStyleOptions() {
        assertEquals(List.of("/usr/lib/qemu/virtiofsd", "--socket-path=/run/p/virtiofsd-pod.sock",
                        "-o", "source=/run/p/shared", "-o", "cache=auto", "-o", "announce_submounts",
                        "-o", "sandbox=namespace"),
                VirtiofsdFlavor.QEMU_C.argv(Path.of("/usr/lib/qemu/virtiofsd"), S, D));
    }

    @Test
    void rustVersionGetsLongOptions() {
        assertEquals(List.of("/usr/libexec/virtiofsd", "--socket-path=/run/p/virtiofsd-pod.sock",
                        "--shared-dir=/run/p/shared", "--cache=auto", "--announce-submounts", "--sandbox=namespace"),
                VirtiofsdFlavor.RUST.argv(Path.of("/usr/libexec/virtiofsd"), S, D));
    }

    @Test
    void helpTextTellsTheVersionsApart() throws VmmException {
        assertEquals(VirtiofsdFlavor.RUST, VirtiofsdFlavor.fromHelp(D,
                "Usage: virtiofsd [OPTIONS]\n  --shared-dir <SHARED_DIR>\n  --socket-path <SOCKET_PATH>\n"));
        assertEquals(VirtiofsdFlavor.QEMU_C, VirtiofsdFlavor.fromHelp(D,
                "usage: virtiofsd [options]\n    -o source=PATH             shared directory tree\n"));
        VmmException e = assertThrows(VmmException.class, () -> VirtiofsdFlavor.fromHelp(Path.of("/bin/true"), ""));
        assertTrue(e.getMessage().startsWith("/bin/true does not look like virtiofsd"), e.getMessage());
    }

    @Test
    void installedBinaryIsRecognised() throws VmmException {
        Path installed = Virtiofsd.findBinary();
        VirtiofsdFlavor expected = Files.isExecutable(Path.of("/usr/libexec/virtiofsd"))
                ? VirtiofsdFlavor.RUST : VirtiofsdFlavor.QEMU_C;
        assertEquals(expected, VirtiofsdFlavor.of(installed));
    }
}
