package io.podvisor.shim.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Node configuration, read from {@code /etc/podvisor/config.toml} (or {@code $PODVISOR_CONFIG}).
 * Every key is optional; a missing file means all defaults.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record PodvisorConfig(
        @JsonProperty("hypervisor") String hypervisor,
        @JsonProperty("kvm") String kvm,
        @JsonProperty("image_dir") Path imageDir,
        @JsonProperty("run_dir") Path runDir,
        @JsonProperty("default_vcpus") Integer defaultVcpus,
        @JsonProperty("default_memory_mib") Long defaultMemoryMiB,
        @JsonProperty("agent_ready_timeout_seconds") Integer agentReadyTimeoutSeconds,
        @JsonProperty("qemu_path") Path qemuPath,
        @JsonProperty("cloud_hypervisor_path") Path cloudHypervisorPath,
        @JsonProperty("virtiofsd_path") Path virtiofsdPath) {

    public static final Path DEFAULT_PATH = Path.of("/etc/podvisor/config.toml");

    public PodvisorConfig {
        hypervisor = hypervisor != null ? hypervisor : "auto";
        kvm = kvm != null ? kvm : "auto";
        imageDir = imageDir != null ? imageDir : Path.of("/var/cache/podvisor/images/current");
        runDir = runDir != null ? runDir : Path.of("/run/podvisor");
        defaultVcpus = defaultVcpus != null ? defaultVcpus : 2;
        defaultMemoryMiB = defaultMemoryMiB != null ? defaultMemoryMiB : 256L;
        agentReadyTimeoutSeconds = agentReadyTimeoutSeconds != null ? agentReadyTimeoutSeconds : 60;
        qemuPath = qemuPath != null ? qemuPath : Path.of("/usr/bin/qemu-system-x86_64");
        cloudHypervisorPath = cloudHypervisorPath != null ? cloudHypervisorPath : Path.of("/usr/local/bin/cloud-hypervisor");
        virtiofsdPath = virtiofsdPath != null ? virtiofsdPath : Path.of("/usr/lib/qemu/virtiofsd");
        if (!hypervisor.equals("auto") && !hypervisor.equals("qemu") && !hypervisor.equals("cloud-hypervisor")) {
            throw new IllegalArgumentException("hypervisor = \"" + hypervisor
                    + "\" is not known: use \"auto\", \"cloud-hypervisor\" or \"qemu\"");
        }
        if (!kvm.equals("auto") && !kvm.equals("off")) {
            throw new IllegalArgumentException("kvm = \"" + kvm + "\" is not known: use \"auto\" or \"off\"");
        }
    }

    public static PodvisorConfig defaults() {
        return new PodvisorConfig(null, null, null, null, null, null, null, null, null, null);
    }

    public Duration agentReadyTimeout() {
        return Duration.ofSeconds(agentReadyTimeoutSeconds);
    }

    /** The file named by $PODVISOR_CONFIG, else /etc/podvisor/config.toml. */
    public static PodvisorConfig load() throws IOException {
        String env = System.getenv("PODVISOR_CONFIG");
        return load(env != null && !env.isEmpty() ? Path.of(env) : DEFAULT_PATH);
    }

    public static PodvisorConfig load(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return defaults();
        }
        return parse(text, file.toString());
    }

    static PodvisorConfig parse(String toml, String source) throws IOException {
        ObjectMapper mapper = TomlMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        try {
            PodvisorConfig c = mapper.readValue(toml, PodvisorConfig.class);
            return c != null ? c : defaults();
        } catch (IOException | IllegalArgumentException e) {
            String why = e.getCause() instanceof IllegalArgumentException iae ? iae.getMessage() : e.getMessage();
            throw new IOException("podvisor: config " + source + " is invalid: " + why, e);
        }
    }
}
