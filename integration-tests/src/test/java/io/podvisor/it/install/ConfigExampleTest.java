package io.podvisor.it.install;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.podvisor.shim.config.PodvisorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** install/config.toml.example, which install.sh writes to /etc/podvisor/config.toml. */
class ConfigExampleTest {
    private static final Path EXAMPLE = NodeRoot.repo().resolve("install/config.toml.example");

    @Test
    void pointsTheShimAtTheInstalledImage() throws Exception {
        PodvisorConfig config = PodvisorConfig.load(EXAMPLE);
        assertEquals(Path.of("/var/lib/podvisor/images/current"), config.imageDir());
    }

    @Test
    void commentedKeysAreTheShimsKeysWithTheirDefaults(@TempDir Path tmp) throws Exception {
        String uncommented = Files.readString(EXAMPLE).replaceAll("(?m)^#([a-z_]+ = )", "$1");
        Path file = Files.writeString(tmp.resolve("config.toml"), uncommented);

        PodvisorConfig config = PodvisorConfig.load(file);

        Set<String> keys = new TreeSet<>();
        Matcher key = Pattern.compile("(?m)^([a-z_]+) = ").matcher(uncommented);
        while (key.find()) {
            keys.add(key.group(1));
        }
        assertEquals(Stream.of(PodvisorConfig.class.getRecordComponents())
                .map(c -> c.getAccessor().getAnnotation(JsonProperty.class).value())
                .collect(Collectors.toCollection(TreeSet::new)), keys);
        PodvisorConfig defaults = PodvisorConfig.defaults();
        assertEquals(new PodvisorConfig(defaults.hypervisor(), defaults.kvm(), config.imageDir(), defaults.runDir(),
                defaults.defaultVcpus(), defaults.defaultMemoryMiB(), defaults.agentReadyTimeoutSeconds(),
                defaults.qemuPath(), defaults.cloudHypervisorPath(), defaults.virtiofsdPath(),
                defaults.guestOverheadMemoryMiB(), defaults.minPodMemoryMiB(), defaults.runtimeDisk(), defaults.pool()), config);
    }
}
