package io.podvisor.it.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** install/kubernetes/*.yaml: the fields the API server validates and kubelet acts on. */
class KubernetesManifestsTest {
    private static final Path MANIFESTS = NodeRoot.repo().resolve("install/kubernetes");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern QUANTITY = Pattern.compile("[0-9]+(\\.[0-9]+)?(m|k|M|G|Ki|Mi|Gi)?");
    private static final String NODE_LABEL = "podvisor.io/enabled";
    private static final List<String> HOST_PATHS = List.of("/usr/local", "/etc/containerd", "/etc/podvisor",
            "/var/lib/podvisor");

    @Test
    void runtimeClassNamesTheHandlerWithOverheadAndNodeSelector() throws IOException {
        JsonNode rc = only(documents("runtimeclass.yaml"), "RuntimeClass");

        assertEquals("node.k8s.io/v1", rc.path("apiVersion").asText());
        assertEquals("podvisor", rc.at("/metadata/name").asText());
        assertEquals("podvisor", rc.path("handler").asText());
        assertTrue(DNS_LABEL.matcher(rc.path("handler").asText()).matches());
        for (String resource : List.of("memory", "cpu")) {
            JsonNode quantity = rc.at("/overhead/podFixed/" + resource);
            assertTrue(quantity.isTextual() && QUANTITY.matcher(quantity.asText()).matches(), resource + ": " + quantity);
        }
        assertTrue(rc.at("/scheduling/nodeSelector/" + escaped(NODE_LABEL)).isTextual(), "label values are strings");
        assertEquals("true", rc.at("/scheduling/nodeSelector/" + escaped(NODE_LABEL)).asText());
    }

    @Test
    void runtimeClassHandlerIsTheRuntimeInstallShRegisters(@TempDir Path tmp) throws Exception {
        String handler = only(documents("runtimeclass.yaml"), "RuntimeClass").path("handler").asText();
        NodeRoot node = new NodeRoot(tmp);

        node.install().requireSuccess();

        JsonNode dropIn = new TomlMapper().readTree(node.read(NodeRoot.DROP_IN));
        assertEquals("io.containerd.podvisor.v2",
                dropIn.at("/plugins/io.containerd.grpc.v1.cri/containerd/runtimes/" + handler + "/runtime_type").asText());
    }

    @Test
    void daemonSetRunsThePrivilegedInstallerOnLabelledNodes() throws IOException {
        List<JsonNode> docs = documents("daemonset.yaml");
        JsonNode ds = only(docs, "DaemonSet");
        assertEquals("apps/v1", ds.path("apiVersion").asText());
        assertTrue(DNS_LABEL.matcher(ds.at("/metadata/name").asText()).matches());

        JsonNode matchLabels = ds.at("/spec/selector/matchLabels");
        JsonNode templateLabels = ds.at("/spec/template/metadata/labels");
        assertFalse(matchLabels.isEmpty(), "a DaemonSet needs a selector");
        matchLabels.properties().forEach(e ->
                assertEquals(e.getValue(), templateLabels.path(e.getKey()), "template label " + e.getKey()));

        JsonNode pod = ds.at("/spec/template/spec");
        assertTrue(pod.at("/nodeSelector/" + escaped(NODE_LABEL)).isTextual(), "label values are strings");
        assertEquals("true", pod.at("/nodeSelector/" + escaped(NODE_LABEL)).asText());

        JsonNode install = pod.at("/initContainers/0");
        assertTrue(install.at("/securityContext/privileged").asBoolean(false), install.toString());
        String command = String.join(" ", strings(install.path("command")));
        assertTrue(command.contains("install/install.sh") && command.contains("--root /host"), command);
        assertTrue(command.contains("--native-shim-from /opt/podvisor/shim/target/native"),
                "the installer image's native shim, not a build on every node: " + command);

        Map<String, String> hostPathByVolume = new HashMap<>();
        pod.path("volumes").forEach(v -> hostPathByVolume.put(v.path("name").asText(), v.at("/hostPath/path").asText()));
        assertTrue(hostPathByVolume.values().containsAll(HOST_PATHS), hostPathByVolume.toString());
        for (JsonNode container : List.of(install, pod.at("/containers/0"))) {
            Set<String> mounted = new HashSet<>();
            container.path("volumeMounts").forEach(m -> {
                String hostPath = hostPathByVolume.get(m.path("name").asText());
                assertEquals("/host" + hostPath, m.path("mountPath").asText(), m.toString());
                mounted.add(hostPath);
            });
            assertTrue(mounted.containsAll(HOST_PATHS), container.path("name") + " mounts " + mounted);
        }
        for (JsonNode container : List.of(install, pod.at("/containers/0"))) {
            assertTrue(DNS_LABEL.matcher(container.path("name").asText()).matches(), container.toString());
            assertFalse(container.path("image").asText().isEmpty(), container.toString());
        }
    }

    @Test
    void daemonSetNamespaceAndServiceAccountAreInTheSameFile() throws IOException {
        List<JsonNode> docs = documents("daemonset.yaml");
        JsonNode ds = only(docs, "DaemonSet");
        String namespace = ds.at("/metadata/namespace").asText();

        assertEquals(namespace, only(docs, "Namespace").at("/metadata/name").asText());
        JsonNode account = only(docs, "ServiceAccount");
        assertEquals(namespace, account.at("/metadata/namespace").asText());
        assertEquals(account.at("/metadata/name").asText(), ds.at("/spec/template/spec/serviceAccountName").asText());
    }

    private static List<JsonNode> documents(String file) throws IOException {
        try (var values = new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(MANIFESTS.resolve(file).toFile())) {
            return values.readAll().stream().filter(d -> !d.isNull() && !d.isMissingNode()).toList();
        }
    }

    private static JsonNode only(List<JsonNode> docs, String kind) {
        List<JsonNode> found = docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
        assertEquals(1, found.size(), "one " + kind + " in " + docs);
        return found.getFirst();
    }

    private static List<String> strings(JsonNode array) {
        return array.valueStream().map(JsonNode::asText).toList();
    }

    /** A JSON pointer segment for a key with a "/". */
    private static String escaped(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
