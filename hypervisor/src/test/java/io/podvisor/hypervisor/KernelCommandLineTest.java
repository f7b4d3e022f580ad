package io.podvisor.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelCommandLineTest {

    private static VmSpec spec(List<String> kernelArgs) {
        GuestImage image = new GuestImage(Path.of("/img/vmlinux"), Path.of("/img/initramfs.cpio"),
                Path.of("/img/runtime.erofs"), "1");
        return new VmSpec("pod-a", image, 1, 256, Path.of("/run/p"), List.of(), List.of(), null, 3, kernelArgs);
    }

    @Test
    void commonThenDriverThenTheVmsOwnSoThatInitArgumentsStayLast() throws Exception {
        String line = KernelCommandLine.build(spec(List.of("rdinit=/bin/sleep", "--", "3600")), List.of("tsc_early_khz=2000000"));
        assertEquals("console=ttyS0 panic=-1 oops=panic loglevel=6 cryptomgr.notests tsc_early_khz=2000000 rdinit=/bin/sleep -- 3600", line);
    }

    @Test
    void argumentWithASpaceIsRefusedNamingTheVm() {
        VmmException e = assertThrows(VmmException.class,
                () -> KernelCommandLine.build(spec(List.of("init=/bin/sh -c x")), List.of()));
        assertTrue(e.getMessage().contains("pod-a"), e.getMessage());
        assertTrue(e.getMessage().contains("init=/bin/sh -c x"), e.getMessage());
    }

    @Test
    void overlongCommandLineIsRefused() {
        List<String> many = Collections.nCopies(300, "abcdefgh");
        VmmException e = assertThrows(VmmException.class, () -> KernelCommandLine.build(spec(many), List.of()));
        assertTrue(e.getMessage().contains("at most 2047"), e.getMessage());
    }
}
