package io.podvisor.it.ctr;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.Checkout;
import io.podvisor.it.containerd.ContainerdHarness;
import io.podvisor.it.containerd.Ctr;
import io.podvisor.it.containerd.OciImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A node whose configured guest image has no kernel: ctr gets an error naming the file and the fix. */
@Timeout(300)
class PodvisorCtrBadImageIT {
    @TempDir
    Path tmp;

    @Test
    void missingKernelIsNamedWithTheFixAndNothingIsLeft() throws Exception {
        Path image = Files.createDirectories(tmp.resolve("image"));
        Files.writeString(image.resolve("image.json"), "{\"agentVersion\": \"0.1.0\"}\n");
        Files.writeString(image.resolve("initramfs.cpio"), "");
        Files.writeString(image.resolve("runtime.erofs"), "");
        Path config = Files.writeString(tmp.resolve("config.toml"), "image_dir = \"" + image + "\"\n");
        Path shimDir = Checkout.install();
        try (ContainerdHarness containerd = ContainerdHarness.start(ContainerdHarness.Options.defaults()
                .withPathFirst(shimDir).withEnv("PODVISOR_CONFIG", config.toString()))) {
            Ctr ctr = containerd.ctr("podvisor-bad-image");
            OciImages.importBusybox(ctr, containerd.dir(), "docker.io/podvisor/busybox:bad", List.of("sh"));
            Ctr.Result result = ctr.run("run", "--rm", "--runtime", "io.containerd.podvisor.v2",
                    "docker.io/podvisor/busybox:bad", "pv-no-kernel", "true");
            assertNotEquals(0, result.exitCode());
            assertTrue(result.stderr().contains(image.resolve("vmlinux").toString()), result.toString());
            assertTrue(result.stderr().contains("rootfs-builder/build.sh"), result.toString());
            assertTrue(result.stderr().contains("pv-no-kernel"), "the error names the pod: " + result);
            ctr.run("containers", "delete", "pv-no-kernel");
        }
    }
}
