package io.podvisor.shim.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodvisorConfigTest {
    @TempDir
    Path tmp;

    @Test
    void missingFileMeansDefaults() throws IOException {
        PodvisorConfig c = PodvisorConfig.load(tmp.resolve("absent.toml"));
        assertEquals("auto", c.hypervisor());
        assertEquals(Path.of("/var/cache/podvisor/images/current"), c.imageDir());
        assertEquals(256, c.defaultMemoryMiB());
    }

    @Test
    void keysOverrideDefaults() throws IOException {
        Path file = tmp.resolve("config.toml");
        Files.writeString(file, """
                hypervisor = "qemu"
                kvm = "off"
                image_dir = "/srv/images"
                default_vcpus = 4
                default_memory_mib = 1024
                """);
        PodvisorConfig c = PodvisorConfig.load(file);
        assertEquals("qemu", c.hypervisor());
        assertEquals("off", c.kvm());
        assertEquals(Path.of("/srv/images"), c.imageDir());
        assertEquals(4, c.defaultVcpus());
        assertEquals(1024, c.defaultMemoryMiB());
    }

    @Test
    void unknownHypervisorNamesTheChoices() throws IOException {
        Path file = tmp.resolve("config.toml");
        Files.writeString(file, "hypervisor = \"firecracker\"\n");
        IOException e = assertThrows(IOException.class, () -> PodvisorConfig.load(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("\"cloud-hypervisor\" or \"qemu\""), e.getMessage());
    }

    @Test
    void misspelledKeyIsRefusedNotIgnored() throws IOException {
        Path file = tmp.resolve("config.toml");
        Files.writeString(file, "imagedir = \"/srv\"\n");
        IOException e = assertThrows(IOException.class, () -> PodvisorConfig.load(file));
        assertTrue(e.getMessage().contains("imagedir"), e.getMessage());
    }
}
