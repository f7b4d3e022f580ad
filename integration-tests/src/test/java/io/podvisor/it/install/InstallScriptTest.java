package io.podvisor.it.install;

import static io.podvisor.it.install.NodeRoot.CONTAINERD_CONFIG;
import static io.podvisor.it.install.NodeRoot.IMAGE_HASH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** install/install.sh and uninstall.sh on a node's files under a temporary root. */
@Timeout(300)
class InstallScriptTest {
    private static final String CONFIG = "/etc/podvisor/config.toml";

    @TempDir
    Path tmp;
    private NodeRoot node;

    @BeforeEach
    void createNode() throws IOException {
        node = new NodeRoot(tmp);
    }

    @Test
    void installsLaunchersJarsGuestImageAndConfig() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.DEBIAN_PACKAGE);

        NodeRoot.Result result = node.install().requireSuccess();

        for (String launcher : List.of("containerd-shim-podvisor-v2", "podvisor")) {
            assertTrue(Files.isExecutable(node.path("/usr/local/bin/" + launcher)), launcher);
        }
        assertTrue(Files.isRegularFile(node.path("/usr/local/bin/launcher.sh")));
        assertEquals(builtJars(), jarsIn(node.path("/usr/local/lib/podvisor")));
        assertTrue(Files.isExecutable(node.path("/usr/local/lib/podvisor/uninstall.sh")));

        assertEquals(Path.of(IMAGE_HASH), Files.readSymbolicLink(node.path("/var/lib/podvisor/images/current")));
        for (String file : List.of("image.json", "vmlinux", "initramfs.cpio", "runtime.erofs")) {
            assertArrayEquals(Files.readAllBytes(node.image().resolve(file)),
                    Files.readAllBytes(node.path("/var/lib/podvisor/images/current/" + file)), file);
        }

        PodvisorConfig config = PodvisorConfig.load(node.path(CONFIG));
        assertEquals(Path.of("/var/lib/podvisor/images/current"), config.imageDir());
        assertTrue(result.stdout().contains("systemctl restart containerd"), result.stdout());
    }

    @Test
    void installedJvmLaunchersRunFromThePrefix() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.DEBIAN_PACKAGE);
        node.install("--jvm-shim").requireSuccess();

        NodeRoot.Result help = node.runInstalled("/usr/local/bin/podvisor", "--help");
        assertEquals(0, help.exitCode(), help.stderr());
        assertTrue(help.stdout().contains("podvisor check"), help.stdout());

        NodeRoot.Result version = node.runInstalled("/usr/local/bin/containerd-shim-podvisor-v2", "-v");
        assertEquals(0, version.exitCode(), version.stderr());
        assertTrue(version.stdout().contains("Version:"), version.stdout());
    }

    static Stream<Arguments> containerdConfigs() {
        return Stream.of(
                Arguments.of("Debian package's, no imports", ContainerdConfigs.DEBIAN_PACKAGE),
                Arguments.of("Kubernetes node's, with imports", ContainerdConfigs.KUBERNETES_NODE),
                Arguments.of("hand-written, no final newline", ContainerdConfigs.HAND_WRITTEN),
                Arguments.of("containerd 2.x node's (version 3), with imports", ContainerdConfigs.CONTAINERD_2_NODE),
                Arguments.of("containerd 2.x, version line only", ContainerdConfigs.CONTAINERD_2_MINIMAL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("containerdConfigs")
    void uninstallRestoresContainerdConfigByteForByteAndLeavesNothing(String name, String containerdConfig)
            throws Exception {
        node.write(CONTAINERD_CONFIG, containerdConfig);
        node.write("/etc/containerd/registries.toml", ContainerdConfigs.REGISTRIES);
        byte[] original = Files.readAllBytes(node.path(CONTAINERD_CONFIG));
        Map<String, String> before = node.snapshot();

        node.install().requireSuccess();
        assertNotEquals(before, node.snapshot());
        NodeRoot.Result result = node.uninstall().requireSuccess();

        assertArrayEquals(original, Files.readAllBytes(node.path(CONTAINERD_CONFIG)));
        assertEquals(before, node.snapshot());
        assertTrue(result.stdout().contains("systemctl restart containerd"), result.stdout());
    }

    @Test
    void withoutContainerdConfigOneIsWrittenThenRemoved() throws Exception {
        Map<String, String> before = node.snapshot();

        node.install().requireSuccess();
        assertEquals("version = 2\nimports = [\"/etc/containerd/conf.d/podvisor.toml\"]\n", node.read(CONTAINERD_CONFIG));
        node.uninstall().requireSuccess();

        assertEquals(before, node.snapshot());
    }

    @Test
    void withoutContainerdConfigContainerd2GetsAVersion3One() throws Exception {
        Map<String, String> before = node.snapshot();

        node.install("--containerd-version", "2.1.9").requireSuccess();
        assertEquals("version = 3\nimports = [\"/etc/containerd/conf.d/podvisor.toml\"]\n", node.read(CONTAINERD_CONFIG));
        assertTrue(node.read(NodeRoot.DROP_IN).contains("[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.podvisor]"),
                node.read(NodeRoot.DROP_IN));
        node.uninstall().requireSuccess();

        assertEquals(before, node.snapshot());
    }

    @Test
    void anUnsupportedContainerdVersionIsNamedAndNothingWritten() throws Exception {
        Map<String, String> before = node.snapshot();

        NodeRoot.Result result = node.install("--containerd-version", "1.6.38");

        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains("containerd 1.6.38 is not supported: podvisor supports containerd 1.7 and 2.x"),
                result.stderr());
        assertEquals(before, node.snapshot());
    }

    @Test
    void installingTwiceChangesNothing() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.KUBERNETES_NODE);
        node.write("/etc/containerd/registries.toml", ContainerdConfigs.REGISTRIES);
        Map<String, String> original = node.snapshot();
        node.install().requireSuccess();
        Map<String, String> installed = node.snapshot();

        NodeRoot.Result again = node.install().requireSuccess();

        assertEquals(installed, node.snapshot());
        assertFalse(again.stderr().contains("copying the guest image"), again.stderr());
        node.uninstall().requireSuccess();
        assertEquals(original, node.snapshot());
    }

    @Test
    void newerGuestImageReplacesTheOlderOne() throws Exception {
        node.install().requireSuccess();
        Path newer = tmp.resolve("newer");
        Files.createDirectory(newer);
        Files.writeString(newer.resolve("image.json"), "{ \"agentVersion\": \"0.1.0\", \"inputsHash\": \"4567cdef\" }\n");
        for (String file : List.of("vmlinux", "initramfs.cpio", "runtime.erofs")) {
            Files.writeString(newer.resolve(file), file + " of the newer image\n");
        }

        node.install("--image-dir", newer.toString()).requireSuccess();

        assertEquals(Path.of("4567cdef"), Files.readSymbolicLink(node.path("/var/lib/podvisor/images/current")));
        assertFalse(Files.exists(node.path("/var/lib/podvisor/images/" + IMAGE_HASH)));
        node.uninstall().requireSuccess();
        assertFalse(Files.exists(node.path("/var/lib/podvisor")));
    }

    @Test
    void containerdConfigChangedSinceInstallLosesOnlyThePodvisorImport() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.KUBERNETES_NODE);
        node.write("/etc/containerd/registries.toml", ContainerdConfigs.REGISTRIES);
        node.install().requireSuccess();
        String edit = "\n[debug]\n  level = \"debug\"\n";
        Files.writeString(node.path(CONTAINERD_CONFIG), node.read(CONTAINERD_CONFIG) + edit);

        NodeRoot.Result result = node.uninstall().requireSuccess();

        assertEquals(ContainerdConfigs.KUBERNETES_NODE + edit, node.read(CONTAINERD_CONFIG));
        assertTrue(result.stdout().contains("changed since podvisor was installed"), result.stdout());
        assertFalse(Files.exists(node.path(NodeRoot.DROP_IN)));
    }

    @Test
    void existingPodvisorConfigIsNeverOverwrittenNorRemoved() throws Exception {
        String own = "kvm = \"off\"\n";
        node.write(CONFIG, own);

        NodeRoot.Result result = node.install().requireSuccess();
        assertEquals(own, node.read(CONFIG));
        assertTrue(result.stderr().contains("kept the existing " + CONFIG), result.stderr());

        node.uninstall().requireSuccess();
        assertEquals(own, node.read(CONFIG));
    }

    @Test
    void missingShimBuildFailsNamingTheBuildCommandAndWritesNothing() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.DEBIAN_PACKAGE);
        Map<String, String> before = node.snapshot();
        Path empty = Files.createDirectory(tmp.resolve("no-build"));

        NodeRoot.Result result = node.install("--jars", empty.toString());

        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains("mvn -DskipTests package"), result.stderr());
        assertEquals(before, node.snapshot());
    }

    static Stream<Arguments> refusedContainerdConfigs() {
        return Stream.of(
                Arguments.of("an unknown config version", "version = 4\n", "version = 4"),
                Arguments.of("CRI setting as a dotted key", """
                        version = 2
                        [plugins]
                          "io.containerd.grpc.v1.cri".sandbox_image = "example.org/pause:1"
                        """, "line 3"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedContainerdConfigs")
    void containerdConfigItCannotExtendIsRefusedAndNothingWritten(String name, String containerdConfig, String reason)
            throws Exception {
        node.write(CONTAINERD_CONFIG, containerdConfig);
        Map<String, String> before = node.snapshot();

        NodeRoot.Result result = node.install();

        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains(CONTAINERD_CONFIG) && result.stderr().contains(reason), result.stderr());
        assertEquals(before, node.snapshot());
    }

    @Test
    void uninstallWithoutInstallSaysSoAndSucceeds() throws Exception {
        NodeRoot.Result result = node.uninstall().requireSuccess();
        assertTrue(result.stdout().contains("nothing to uninstall"), result.stdout());
    }

    /**
     * The native shim (a prebuilt stand-in) is linked from bin/ into lib/podvisor-native; an install with --jvm-shim
     * puts the JVM launcher there instead and drops the image; uninstall leaves the node as it was.
     */
    @Test
    void theNativeShimIsLinkedFromBinAndAJvmShimInstallReplacesIt() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.DEBIAN_PACKAGE);
        Map<String, String> before = node.snapshot();

        node.install().requireSuccess();

        Path shim = node.path("/usr/local/bin/containerd-shim-podvisor-v2");
        assertEquals(Path.of("../lib/podvisor-native/containerd-shim-podvisor-v2"), Files.readSymbolicLink(shim));
        assertTrue(Files.isRegularFile(node.path("/usr/local/lib/podvisor-native/libjvm.so")));
        NodeRoot.Result version = node.runInstalled("/usr/local/bin/containerd-shim-podvisor-v2", "-v");
        assertEquals("native shim -v\n", version.stdout(), version.stderr());

        node.install("--jvm-shim").requireSuccess();

        assertFalse(Files.isSymbolicLink(shim), "the launcher instead");
        assertTrue(Files.readString(shim).contains("launcher.sh"), Files.readString(shim));
        assertFalse(Files.exists(node.path("/usr/local/lib/podvisor-native")));
        node.uninstall().requireSuccess();
        assertEquals(before, node.snapshot());
    }

    @Test
    void aNativeShimDirectoryWithoutTheImageIsNamedAndNothingWritten() throws Exception {
        node.write(CONTAINERD_CONFIG, ContainerdConfigs.DEBIAN_PACKAGE);
        Map<String, String> before = node.snapshot();
        Path empty = Files.createDirectories(tmp.resolve("no-native"));

        NodeRoot.Result result = node.install("--native-shim-from", empty.toString());

        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains("no native shim in " + empty) && result.stderr().contains("native-shim.sh"),
                result.stderr());
        assertEquals(before, node.snapshot());
    }

    private static Set<String> builtJars() throws IOException {
        Path target = NodeRoot.repo().resolve("shim/target");
        Set<String> jars = jarsIn(target.resolve("lib"));
        jars.addAll(jarsIn(target));
        return jars;
    }

    private static Set<String> jarsIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
