package io.podvisor.hypervisor.vsock;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fixed-seed slice of the vsock fuzz ({@link VsockFuzzRun}), a few seconds long. The long run is
 * {@link VsockDeviceFuzzBenchmark}.
 */
class VsockDeviceFuzzTest {
    @TempDir
    Path dir;

    @Test
    void aHostileGuestNeitherStopsTheBackendNorTouchesAnotherVm() throws Exception {
        try (VsockFuzzRun run = new VsockFuzzRun(dir)) {
            VsockFuzzRun.Result result = run.run(20261205L, 200_000);
            System.out.println("vsock fuzz, seed 20261205: " + result);
            assertTrue(result.rxPacketsChecked() > 0, "the device answered the guest at all");
            assertTrue(result.hostConnections() > 0, "guest connections reached the host");
            assertTrue(result.ringAbuses() > 0, "the run broke a ring at least once");
        }
    }
}
