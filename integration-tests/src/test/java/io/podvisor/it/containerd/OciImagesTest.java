package io.podvisor.it.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.it.containerd.OciImages.BusyboxImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciImagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void anImageHasItsBusyboxWithEveryAppletHardLinkedAndTheFilesItNeeds() throws Exception {
        // A busybox that knows two applets.
        Path busybox = Files.writeString(dir.resolve("busybox"), "#!/bin/sh\nprintf 'sh\\nls\\n'\n");
        Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path library = Files.writeString(dir.resolve("libc.so.6"), "a library");
        BusyboxImage image = new BusyboxImage("docker.io/podvisor/lookup:test", List.of("sh"))
                .withBusybox(busybox, Map.of("/lib/x86_64-linux-gnu/libc.so.6", library));

        Path layout = extract(OciImages.busyboxLayout(dir, image), dir.resolve("layout"));
        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        assertEquals("docker.io/podvisor/lookup:test",
                index.path("manifests").path(0).path("annotations").path("io.containerd.image.name").asText());
        JsonNode manifest = JSON.readTree(blob(layout, index.path("manifests").path(0)).toFile());
        JsonNode config = JSON.readTree(blob(layout, manifest.path("config")).toFile());
        assertEquals("[\"sh\"]", config.path("config").path("Cmd").toString());

        Path rootfs = extract(blob(layout, manifest.path("layers").path(0)), dir.resolve("rootfs"));
        assertEquals(Files.readString(busybox), Files.readString(rootfs.resolve("bin/busybox")));
        for (String applet : List.of("sh", "ls")) {
            assertTrue(Files.isSameFile(rootfs.resolve("bin/busybox"), rootfs.resolve("bin").resolve(applet)), applet);
        }
        assertEquals("a library", Files.readString(rootfs.resolve("lib/x86_64-linux-gnu/libc.so.6")));
        assertTrue(Files.readString(rootfs.resolve("etc/passwd")).startsWith("root:x:0:0:root:/root:/bin/sh\n"));
    }

    @Test
    void anImageWithoutItsOwnBusyboxHasBusyboxStatic() {
        BusyboxImage image = new BusyboxImage("docker.io/podvisor/busybox:test", List.of("sh"));
        assertEquals(OciImages.BUSYBOX, image.busybox());
        assertEquals(Map.of(), image.files());
    }

    private static Path blob(Path layout, JsonNode descriptor) {
        return layout.resolve("blobs/sha256").resolve(descriptor.path("digest").asText().substring("sha256:".length()));
    }

    private static Path extract(Path tarball, Path into) throws IOException, InterruptedException {
        Files.createDirectories(into);
        Process tar = new ProcessBuilder("tar", "-xf", tarball.toString(), "-C", into.toString())
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, tar.waitFor(), output);
        return into;
    }
}
