package io.podvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ContainerdVersionTest {

    @Test
    void containerd17GetsVersion2And2xGetsVersion3() throws Exception {
        assertEquals(2, ContainerdVersion.parse("1.7.24~ds1").requireSupported().startReplyVersion());
        assertEquals(3, ContainerdVersion.parse("2.1.9+unknown").requireSupported().startReplyVersion());
        assertEquals(3, ContainerdVersion.parse("v2.3.0").requireSupported().startReplyVersion());
    }

    @Test
    void anUnsupportedVersionIsNamed() throws Exception {
        ContainerdVersion old = ContainerdVersion.parse("v1.6.38");
        ShimException e = assertThrows(ShimException.class, old::requireSupported);
        assertTrue(e.getMessage().contains("containerd v1.6.38 is not supported"), e.getMessage());
        assertTrue(e.getMessage().contains("1.7 and 2.x"), e.getMessage());
        assertThrows(ShimException.class, () -> ContainerdVersion.parse("3.0.0").requireSupported());
    }

    @Test
    void aVersionThatIsNoNumberIsNamed() {
        ShimException e = assertThrows(ShimException.class, () -> ContainerdVersion.parse("dev"));
        assertTrue(e.getMessage().contains("\"dev\""), e.getMessage());
    }

    @Test
    void theVersionComesFromWhatContainerdsBinaryPrints() {
        ContainerdVersion debian = ContainerdVersion.ofVersionOutput(
                "containerd github.com/containerd/containerd 1.7.24~ds1 1.7.24~ds1-6+deb13u1\n", "test").orElseThrow();
        assertEquals(1, debian.major());
        assertEquals(7, debian.minor());
        assertEquals(3, ContainerdVersion.ofVersionOutput("containerd github.com/containerd/containerd/v2 2.1.9+unknown \n",
                "test").orElseThrow().startReplyVersion());
        assertTrue(ContainerdVersion.ofVersionOutput("openjdk 25.0.3 2026-04-21 LTS", "test").isEmpty());
        assertTrue(ContainerdVersion.ofVersionOutput("containerd github.com/containerd/containerd dev", "test").isEmpty());
    }

    @Test
    void aTestRunIsNotContainerdsChild() {
        assertTrue(ContainerdVersion.ofParentBinary().isEmpty());
    }
}
