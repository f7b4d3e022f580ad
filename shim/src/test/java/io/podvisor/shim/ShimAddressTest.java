package io.podvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShimAddressTest {
    @Test
    void socketIsTheSha256OfAddressNamespaceAndGroupAsContainerdShimsDeriveIt() {
        // printf '%s' /run/containerd/containerd.sock/default/redis | sha256sum
        Path socket = ShimAddress.socketFor(ShimAddress.DEFAULT_SOCKET_DIR, "/run/containerd/containerd.sock", "default", "redis");
        assertEquals(Path.of("/run/containerd/s/f6b99128c07bdbd0902363ba979c22f8ef053e683a7ce24dd016a1ab17092c33"), socket);
        assertEquals("unix:///run/containerd/s/f6b99128c07bdbd0902363ba979c22f8ef053e683a7ce24dd016a1ab17092c33",
                ShimAddress.toAddress(socket));
        assertEquals(socket, ShimAddress.toPath(ShimAddress.toAddress(socket)));
    }

    @Test
    void addressFileRoundTripsAndNothingAnswersOnAMissingSocket(@TempDir Path bundle) throws Exception {
        ShimAddress.writeAddressFile(bundle, "unix:///run/containerd/s/abc");
        assertEquals("unix:///run/containerd/s/abc", ShimAddress.readAddressFile(bundle).orElseThrow());
        assertFalse(ShimAddress.canConnect(bundle.resolve("nothing.sock")));
    }
}
