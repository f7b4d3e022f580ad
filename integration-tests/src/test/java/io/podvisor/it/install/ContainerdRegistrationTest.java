package io.podvisor.it.install;

import static io.podvisor.it.install.NodeRoot.CONTAINERD_CONFIG;
import static io.podvisor.it.install.NodeRoot.DROP_IN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.podvisor.it.containerd.ContainerdRelease;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The runtime handler "podvisor" as install.sh registers it with containerd 1.7 and 2.x. */
@Timeout(300)
class ContainerdRegistrationTest {
    private static final String CRI = "/plugins/io.containerd.grpc.v1.cri";
    private static final String PODVISOR_RUNTIME = CRI + "/containerd/runtimes/podvisor";
    private static final String CRI_2 = "/plugins/io.containerd.cri.v1.runtime";
    private static final TomlMapper TOML = new TomlMapper();

    @TempDir
    Path tmp;
    private NodeRoot node;

    @BeforeEach
    void createNode() throws IOException {
        node = new NodeRoot(tmp);
        node.write("/etc/containerd/registries.toml", ContainerdConfigs.REGISTRIES);
    }

    @Test
    void configWithoutImportsGetsAnImportsLineAtTheTop() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.DEBIAN_PACKAGE);

        node.install().requireSuccess();

        assertEquals("imports = [\"" + DROP_IN + "\"]\n" + ContainerdConfigs.DEBIAN_PACKAGE, node.read(CONTAINERD_CONFIG));
    }

    @Test
    void existingImportsLineGetsTheDropInAdded() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.KUBERNETES_NODE);

        node.install().requireSuccess();

        String expected = ContainerdConfigs.KUBERNETES_NODE.replace("imports = [\"/etc/containerd/registries.toml\"]",
                "imports = [\"/etc/containerd/registries.toml\", \"" + DROP_IN + "\"]");
        assertEquals(expected, node.read(CONTAINERD_CONFIG));
    }

    @Test
    void multiLineImportsArrayGetsTheDropInAdded() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.HAND_WRITTEN);

        node.install().requireSuccess();

        JsonNode config = TOML.readTree(node.read(CONTAINERD_CONFIG));
        assertEquals(List.of("/etc/containerd/registries.toml", DROP_IN),
                TOML.convertValue(config.path("imports"), List.class));
    }

    @Test
    void dropInRegistersThePodvisorRuntimeHandler() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.KUBERNETES_NODE);

        node.install().requireSuccess();

        JsonNode runtime = TOML.readTree(node.read(DROP_IN)).at(PODVISOR_RUNTIME);
        assertEquals("io.containerd.podvisor.v2", runtime.path("runtime_type").asText(), runtime.toString());
        assertEquals("/usr/local/bin/containerd-shim-podvisor-v2", runtime.path("runtime_path").asText());
        assertTrue(Files.isExecutable(node.path(runtime.path("runtime_path").asText())));
        assertTrue(runtime.path("privileged_without_host_devices").asBoolean(false), runtime.toString());
        assertEquals(List.of("io.podvisor.*"), TOML.convertValue(runtime.path("pod_annotations"), List.class));
    }

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of("Debian package's", ContainerdConfigs.DEBIAN_PACKAGE),
                Arguments.of("Kubernetes node's", ContainerdConfigs.KUBERNETES_NODE));
    }

    /** containerd 1.x replaces a plugin's whole section with an imported file's, so the drop-in must repeat it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void dropInRepeatsTheCriSettingsOfTheConfig(String name, String containerdConfig) throws Exception {
        node.write(CONTAINERD_CONFIG, containerdConfig);

        node.install().requireSuccess();

        ObjectNode dropIn = criSection(TOML.readTree(node.read(DROP_IN)));
        ObjectNode runtimes = (ObjectNode) dropIn.path("containerd").path("runtimes");
        runtimes.remove("podvisor");
        ObjectNode original = criSection(TOML.readTree(containerdConfig));
        if (original.path("containerd").path("runtimes").isMissingNode()) {
            // containerd's default runtime, which the drop-in's runtimes table would otherwise hide
            assertEquals("io.containerd.runc.v2", runtimes.path("runc").path("runtime_type").asText(), dropIn.toString());
            runtimes.remove("runc");
        }
        assertEquals(withoutEmptyTables(original), withoutEmptyTables(dropIn));
    }

    @Test
    void criSettingsOfALaterImportedFileAreTheOnesRepeated() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.KUBERNETES_NODE);
        String registries = """
                version = 2
                [plugins."io.containerd.grpc.v1.cri".registry]
                  config_path = "/etc/containerd/certs.d"
                """;
        node.write("/etc/containerd/registries.toml", registries);

        node.install().requireSuccess();

        ObjectNode dropIn = criSection(TOML.readTree(node.read(DROP_IN)));
        assertEquals("/etc/containerd/certs.d", dropIn.at("/registry/config_path").asText(), dropIn.toString());
        assertTrue(dropIn.path("sandbox_image").isMissingNode(), dropIn.toString());
    }

    @Test
    void criSettingsImportedAfterTheDropInAreRefused() throws Exception {
        node.write(CONTAINERD_CONFIG, "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n");
        node.write("/etc/containerd/conf.d/zz-registries.toml", """
                version = 2
                [plugins."io.containerd.grpc.v1.cri".registry]
                  config_path = "/etc/containerd/certs.d"
                """);
        var before = node.snapshot();

        NodeRoot.Result result = node.install();

        assertTrue(result.exitCode() != 0 && result.stderr().contains("zz-registries.toml, imported after " + DROP_IN),
                result.stderr());
        assertEquals(before, node.snapshot());
    }

    /**
     * With a containerd binary on PATH: the configuration containerd builds from the installed files is the
     * one it built before, plus the podvisor runtime.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void containerdSeesThePodvisorRuntimeAndEverythingItHadBefore(String name, String containerdConfig)
            throws Exception {
        Path containerd = onPath("containerd").orElse(null);
        Assumptions.assumeTrue(containerd != null, "no containerd on PATH");
        node.write(CONTAINERD_CONFIG, containerdConfig);
        JsonNode before = dump(containerd);

        node.install().requireSuccess();
        ObjectNode after = (ObjectNode) dump(containerd);

        ObjectNode runtimes = (ObjectNode) after.at(CRI + "/containerd/runtimes");
        JsonNode podvisor = runtimes.remove("podvisor");
        assertEquals("io.containerd.podvisor.v2", podvisor.path("runtime_type").asText(), after.toString());
        ((ObjectNode) before).remove("imports");
        after.remove("imports");
        assertEquals(withoutZeroOptions(before), withoutZeroOptions(after));
    }

    @Test
    void dropInOfAContainerd2ConfigAddsOnlyTheRuntime() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.CONTAINERD_2_NODE);

        node.install().requireSuccess();

        JsonNode dropIn = TOML.readTree(node.read(DROP_IN));
        assertEquals(3, dropIn.path("version").asInt(), dropIn.toString());
        JsonNode runtime = dropIn.at(CRI_2 + "/containerd/runtimes/podvisor");
        assertEquals("io.containerd.podvisor.v2", runtime.path("runtime_type").asText(), dropIn.toString());
        assertEquals("/usr/local/bin/containerd-shim-podvisor-v2", runtime.path("runtime_path").asText());
        assertTrue(runtime.path("privileged_without_host_devices").asBoolean(false), runtime.toString());
        assertEquals(List.of("io.podvisor.*"), TOML.convertValue(runtime.path("pod_annotations"), List.class));
        ObjectNode rest = dropIn.deepCopy();
        ((ObjectNode) rest.at(CRI_2 + "/containerd/runtimes")).remove("podvisor");
        rest.remove("version");
        assertEquals(JsonNodeFactory.instance.objectNode(), withoutEmptyTables(rest), "the drop-in sets nothing else");
    }

    static Stream<Arguments> containerd2Configs() {
        return Stream.of(
                Arguments.of("containerd 2.x node's", ContainerdConfigs.CONTAINERD_2_NODE),
                Arguments.of("version line only", ContainerdConfigs.CONTAINERD_2_MINIMAL));
    }

    /**
     * containerd 2.1.9 (install/containerd/install-containerd-2.sh) merges the drop-in into its config: what it
     * builds from the installed files is what it built before, plus the podvisor runtime (runc stays).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("containerd2Configs")
    void containerd2SeesThePodvisorRuntimeAndEverythingItHadBefore(String name, String containerdConfig)
            throws Exception {
        Path containerd = ContainerdRelease.V2_1.binDir().orElseThrow().resolve("containerd");
        assertTrue(Files.isExecutable(containerd), "no " + containerd + ": run install/containerd/install-containerd-2.sh");
        node.write(CONTAINERD_CONFIG, containerdConfig);
        JsonNode before = dump(containerd);

        node.install().requireSuccess();
        ObjectNode after = (ObjectNode) dump(containerd);

        ObjectNode runtimes = (ObjectNode) after.at(CRI_2 + "/containerd/runtimes");
        JsonNode podvisor = runtimes.remove("podvisor");
        assertTrue(podvisor != null, "no podvisor runtime in " + after.at(CRI_2));
        assertEquals("io.containerd.podvisor.v2", podvisor.path("runtime_type").asText(), after.toString());
        assertEquals("io.containerd.runc.v2", runtimes.path("runc").path("runtime_type").asText(), runtimes.toString());
        ((ObjectNode) before).remove("imports");
        after.remove("imports");
        assertEquals(withoutZeroOptions(before), withoutZeroOptions(after));
    }

    /** {@code containerd config dump} of the node's config, its imports pointed into the root. */
    private JsonNode dump(Path containerd) throws Exception {
        Path config = Files.createTempFile(tmp, "containerd", ".toml");
        Files.writeString(config, node.read(CONTAINERD_CONFIG)
                .replace("\"/etc/containerd/", "\"" + node.root() + "/etc/containerd/"));
        NodeRoot.Result result = NodeRoot.run(containerd, List.of("--config", config.toString(), "config", "dump"))
                .requireSuccess();
        return TOML.readTree(result.stdout());
    }

    private static ObjectNode criSection(JsonNode config) {
        JsonNode cri = config.at(CRI);
        return cri.isObject() ? ((ObjectNode) cri).deepCopy() : JsonNodeFactory.instance.objectNode();
    }

    /** Tables that set nothing are the same as no table. */
    private static JsonNode withoutEmptyTables(JsonNode node) {
        if (!node.isObject()) {
            return node;
        }
        ObjectNode copy = JsonNodeFactory.instance.objectNode();
        node.properties().forEach(e -> {
            JsonNode value = withoutEmptyTables(e.getValue());
            if (!(value.isObject() && value.isEmpty())) {
                copy.set(e.getKey(), value);
            }
        });
        return copy;
    }

    /** Runtime options that are all zero values are the same as none (the shim's defaults). */
    private static JsonNode withoutZeroOptions(JsonNode node) {
        if (!node.isObject()) {
            return node;
        }
        ObjectNode copy = JsonNodeFactory.instance.objectNode();
        node.properties().forEach(e -> {
            JsonNode value = e.getValue();
            boolean zeroOptions = e.getKey().equals("options") && value.isObject()
                    && value.valueStream().allMatch(v -> v.asText().isEmpty() || v.asText().equals("0")
                            || v.asText().equals("false") || (v.isContainerNode() && v.isEmpty()));
            if (!zeroOptions) {
                copy.set(e.getKey(), withoutZeroOptions(value));
            }
        });
        return copy;
    }

    private static Optional<Path> onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, program))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
