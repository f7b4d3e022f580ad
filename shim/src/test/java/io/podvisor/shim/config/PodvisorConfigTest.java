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
        assertEquals(160, c.guestOverheadMemoryMiB());
        assertEquals(16, c.minPodMemoryMiB());
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
                guest_overhead_memory_mib = 200
                min_pod_memory_mib = 64
                """);
        PodvisorConfig c = PodvisorConfig.load(file);
        assertEquals("qemu", c.hypervisor());
        assertEquals("off", c.kvm());
        assertEquals(Path.of("/srv/images"), c.imageDir());
        assertEquals(4, c.defaultVcpus());
        assertEquals(1024, c.defaultMemoryMiB());
        assertEquals(200, c.guestOverheadMemoryMiB());
        assertEquals(64, c.minPodMemoryMiB());
    }

    @Test
    void theWarmPoolIsOffUnlessConfiguredAndTakesOneEntryPerShape() throws IOException {
        assertTrue(PodvisorConfig.load(tmp.resolve("absent.toml")).pool().isEmpty());
        Path file = tmp.resolve("config.toml");
        Files.writeString(file, """
                [[pool]]
                vcpus = 2
                memory_mib = 256
                size = 2

                [[pool]]
                vcpus = 1
                memory_mib = 512
                size = 1
                """);
        PodvisorConfig c = PodvisorConfig.load(file);
        assertEquals(2, c.pool().size());
        assertEquals("2x256", c.pool().get(0).name());
        assertEquals(2, c.pool().get(0).size());
        assertEquals("1x512", c.pool().get(1).name());
    }

    @Test
    void aBadPoolEntryIsRefusedWithWhatItNeeds() throws IOException {
        Path file = tmp.resolve("config.toml");
        for (String[] bad : new String[][] {
                {"[[pool]]\nvcpus = 2\nsize = 1\n", "needs vcpus, memory_mib and size"},
                {"[[pool]]\nvcpus = 2\nmemory_mib = 64\nsize = 1\n", "memory_mib at least 128"},
                {"[[pool]]\nvcpus = 2\nmemory_mib = 256\nsize = 1\n[[pool]]\nvcpus = 2\nmemory_mib = 256\nsize = 3\n",
                        "names one shape (vcpus, memory_mib) twice"}}) {
            Files.writeString(file, bad[0]);
            IOException e = assertThrows(IOException.class, () -> PodvisorConfig.load(file));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void aSizeThatIsNotPositiveIsRefused() throws IOException {
        Path file = tmp.resolve("config.toml");
        Files.writeString(file, "min_pod_memory_mib = 0\n");
        IOException e = assertThrows(IOException.class, () -> PodvisorConfig.load(file));
        assertTrue(e.getMessage().contains("min_pod_memory_mib = 0 must be positive"), e.getMessage());
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
