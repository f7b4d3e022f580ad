package io.podvisor.shim.vm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirSpaceTest {
    @Test
    void aRunDirectoryNotMadeYetIsMeasuredOnItsNearestExistingParent(@TempDir Path tmp) {
        assertDoesNotThrow(() -> RunDirSpace.require(tmp.resolve("not/yet/made"), "pod-1"));
    }
}
