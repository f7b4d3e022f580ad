package io.podvisor.shim.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.podvisor.hypervisor.RuntimeDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
        @JsonProperty("virtiofsd_path") Path virtiofsdPath,
        @JsonProperty("guest_overhead_memory_mib") Long guestOverheadMemoryMiB,
        @JsonProperty("min_pod_memory_mib") Long minPodMemoryMiB,
        @JsonProperty("runtime_disk") String runtimeDisk,
        @JsonProperty("pool") List<WarmPoolShape> pool) {

    public static final Path DEFAULT_PATH = Path.of("/etc/podvisor/config.toml");
    /** What the guest needs besides the pod's containers; see install/config.toml.example. */
    static final long DEFAULT_GUEST_OVERHEAD_MIB = 160;

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
        guestOverheadMemoryMiB = guestOverheadMemoryMiB != null ? guestOverheadMemoryMiB : DEFAULT_GUEST_OVERHEAD_MIB;
        minPodMemoryMiB = minPodMemoryMiB != null ? minPodMemoryMiB : 16L;
        runtimeDisk = runtimeDisk != null ? runtimeDisk : "auto";
        pool = pool != null ? List.copyOf(pool) : List.of();
        if (pool.stream().map(WarmPoolShape::name).distinct().count() < pool.size()) {
            throw new IllegalArgumentException("[[pool]] names one shape (vcpus, memory_mib) twice: give each shape"
                    + " one entry");
        }
        requirePositive("default_vcpus", defaultVcpus);
        requirePositive("default_memory_mib", defaultMemoryMiB);
        requirePositive("guest_overhead_memory_mib", guestOverheadMemoryMiB);
        requirePositive("min_pod_memory_mib", minPodMemoryMiB);
        if (!hypervisor.equals("auto") && !hypervisor.equals("qemu") && !hypervisor.equals("cloud-hypervisor")) {
            throw new IllegalArgumentException("hypervisor = \"" + hypervisor
                    + "\" is not known: use \"auto\", \"cloud-hypervisor\" or \"qemu\"");
        }
        if (!RuntimeDisk.SETTINGS.contains(runtimeDisk)) {
            throw new IllegalArgumentException("runtime_disk = \"" + runtimeDisk + "\" is not known: use \"auto\","
                    + " \"pmem\" or \"virtio-blk\"");
        }
        if (!kvm.equals("auto") && !kvm.equals("off")) {
            throw new IllegalArgumentException("kvm = \"" + kvm + "\" is not known: use \"auto\" or \"off\"");
        }
    }

    /** The keys before the pod sizing keys, which take their defaults. */
    public PodvisorConfig(String hypervisor, String kvm, Path imageDir, Path runDir, Integer defaultVcpus,
            Long defaultMemoryMiB, Integer agentReadyTimeoutSeconds, Path qemuPath, Path cloudHypervisorPath,
            Path virtiofsdPath) {
        this(hypervisor, kvm, imageDir, runDir, defaultVcpus, defaultMemoryMiB, agentReadyTimeoutSeconds, qemuPath,
                cloudHypervisorPath, virtiofsdPath, null, null, null, null);
    }

    public static PodvisorConfig defaults() {
        return new PodvisorConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    private static void requirePositive(String key, Number value) {
        if (value.longValue() <= 0) {
            throw new IllegalArgumentException(key + " = " + value + " must be positive");
        }
    }

    public Duration agentReadyTimeout() {
        return Duration.ofSeconds(agentReadyTimeoutSeconds);
    }

    /** The file named by $PODVISOR_CONFIG, else /etc/podvisor/config.toml. */
    public static PodvisorConfig load() throws IOException {
        return load(path());
    }

    /** The file {@link #load()} reads: $PODVISOR_CONFIG, else /etc/podvisor/config.toml. */
    public static Path path() {
        String env = System.getenv("PODVISOR_CONFIG");
        return env != null && !env.isEmpty() ? Path.of(env) : DEFAULT_PATH;
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
