package io.podvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ShimArgsTest {
    @Test
    void parsesContainerdsStartCommandLine() {
        ShimArgs args = ShimArgs.parse("-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock",
                "-publish-binary", "/usr/bin/containerd", "-id", "abc", "-debug", "start");
        assertEquals("k8s.io", args.namespace());
        assertEquals("abc", args.id());
        assertEquals("/run/containerd/containerd.sock", args.address());
        assertEquals("/usr/bin/containerd", args.publishBinary());
        assertTrue(args.debug());
        assertEquals("start", args.action());
        assertEquals(Optional.empty(), args.bundle());
    }

    @Test
    void parsesDeleteWithBundleAndGoStyleEqualsFlags() {
        ShimArgs args = ShimArgs.parse("--namespace=default", "-address=/a.sock", "-publish-binary", "ctrd", "-id", "x",
                "-bundle", "/run/b/x", "delete");
        assertEquals(Optional.of(Path.of("/run/b/x")), args.bundle());
        assertEquals("delete", args.action());
    }

    @Test
    void versionNeedsNothingElse() {
        assertTrue(ShimArgs.parse("-v").version());
    }

    @Test
    void mistakesAreNamedWithUsage() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ShimArgs.parse("-namespace", "n", "-id", "i", "-bogus", "start"));
        assertTrue(unknown.getMessage().contains("-bogus") && unknown.getMessage().contains("usage"));
        IllegalArgumentException action = assertThrows(IllegalArgumentException.class,
                () -> ShimArgs.parse("-namespace", "n", "-id", "i", "launch"));
        assertTrue(action.getMessage().contains("launch"));
        assertThrows(IllegalArgumentException.class, () -> ShimArgs.parse("start"));
    }
}
