package io.podvisor.agent.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuestSpecTest {
    private static final GuestSpec.SandboxInit NO_SANDBOX = id -> {
        throw new AssertionError("no sandbox to look up, asked for " + id);
    };

    private static final String HOST_SPEC = """
            {"ociVersion": "1.1.0",
             "process": {"terminal": false, "user": {"uid": 1000, "gid": 1000, "additionalGids": [5]},
                         "args": ["sh", "-c", "echo hi"], "env": ["PATH=/bin", "A=b"], "cwd": "/work",
                         "capabilities": {"bounding": ["CAP_KILL"]},
                         "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
                         "apparmorProfile": "cri-containerd.apparmor.d", "selinuxLabel": "system_u:x"},
             "root": {"path": "/run/containerd/rootfs", "readonly": true},
             "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                        {"destination": "/etc/hosts", "type": "bind", "source": "/run/podvisor/shared/c1/mounts/1",
                         "options": ["rbind", "ro"]}],
             "hooks": {"createRuntime": [{"path": "/usr/bin/nvidia-hook"}]},
             "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/cni-1"},
                                      {"type": "ipc", "path": "/proc/42/ns/ipc"}, {"type": "uts"}, {"type": "mount"}],
                       "cgroupsPath": "/kubepods/besteffort/pod1/c1", "mountLabel": "system_u:y",
                       "resources": {"memory": {"limit": 1048576}}}}
            """;

    @Test
    void rewritesRootNamespacesCgroupAndDropsHostOnlyParts() throws Exception {
        ObjectNode spec = GuestSpec.rewrite(bytes(HOST_SPEC), "c1", "/run/podvisor/shared/c1/rootfs", NO_SANDBOX);

        assertEquals("/run/podvisor/shared/c1/rootfs", spec.at("/root/path").asText());
        assertTrue(spec.at("/root/readonly").asBoolean());
        assertEquals("[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}]",
                spec.at("/linux/namespaces").toString(), "a cgroup namespace of its own, as on a cgroup v2 host");
        assertEquals("/podvisor/c1", spec.at("/linux/cgroupsPath").asText());
        assertFalse(spec.has("hooks"));
        assertFalse(spec.at("/process").has("apparmorProfile"));
        assertFalse(spec.at("/process").has("selinuxLabel"));
        assertFalse(spec.at("/linux").has("mountLabel"));
    }

    @Test
    void keepsProcessMountsAndResourcesAsTheHostWroteThem() throws Exception {
        JsonNode host = GuestSpec.JSON.readTree(HOST_SPEC);
        ObjectNode spec = GuestSpec.rewrite(bytes(HOST_SPEC), "c1", "/run/podvisor/shared/c1/rootfs", NO_SANDBOX);

        for (String field : new String[] {"user", "args", "env", "cwd", "capabilities", "rlimits", "terminal"}) {
            assertEquals(host.at("/process/" + field), spec.at("/process/" + field), field);
        }
        assertEquals(host.get("mounts"), spec.get("mounts"));
        assertEquals(host.at("/linux/resources"), spec.at("/linux/resources"));
    }

    private static final String POD_CONTAINER_SPEC = """
            {"process": {"args": ["true"]}, "hostname": "web-0",
             "annotations": {"io.kubernetes.cri.sandbox-id": "sb1", "io.kubernetes.cri.container-type": "container"},
             "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/42/ns/net"},
                                      {"type": "ipc", "path": "/proc/42/ns/ipc"}, {"type": "uts", "path": "/proc/42/ns/uts"},
                                      {"type": "mount"}]}}
            """;

    @Test
    void podContainerJoinsItsSandboxsIpcAndUtsNamespacesInTheGuest() throws Exception {
        List<String> asked = new ArrayList<>();
        ObjectNode spec = GuestSpec.rewrite(bytes(POD_CONTAINER_SPEC), "c1", "/r", id -> {
            asked.add(id);
            return 77;
        });

        assertEquals("[{\"type\":\"pid\"},{\"type\":\"ipc\",\"path\":\"/proc/77/ns/ipc\"},"
                + "{\"type\":\"uts\",\"path\":\"/proc/77/ns/uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}]",
                spec.at("/linux/namespaces").toString());
        assertEquals(List.of("sb1"), asked);
        assertFalse(spec.has("hostname"), "the sandbox's UTS namespace has the pod's host name already");
    }

    @Test
    void podThatSharesItsProcessNamespaceHasItsContainersJoinTheSandboxsPidNamespace() throws Exception {
        String shared = POD_CONTAINER_SPEC.replace("{\"type\": \"pid\"}", "{\"type\": \"pid\", \"path\": \"/proc/42/ns/pid\"}");
        ObjectNode spec = GuestSpec.rewrite(bytes(shared), "c1", "/r", id -> 77);

        assertEquals("[{\"type\":\"pid\",\"path\":\"/proc/77/ns/pid\"},{\"type\":\"ipc\",\"path\":\"/proc/77/ns/ipc\"},"
                + "{\"type\":\"uts\",\"path\":\"/proc/77/ns/uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}]",
                spec.at("/linux/namespaces").toString());
    }

    @Test
    void theSandboxContainerItselfKeepsFreshNamespacesAndItsHostName() throws Exception {
        String sandboxSpec = POD_CONTAINER_SPEC.replace("\"path\": \"/proc/42/ns/ipc\"", "\"x\": 1")
                .replace("\"path\": \"/proc/42/ns/uts\"", "\"x\": 1");
        ObjectNode own = GuestSpec.rewrite(bytes(POD_CONTAINER_SPEC), "sb1", "/r", NO_SANDBOX);
        ObjectNode fresh = GuestSpec.rewrite(bytes(sandboxSpec), "c1", "/r", NO_SANDBOX);

        assertEquals("[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}]",
                own.at("/linux/namespaces").toString());
        assertEquals("web-0", own.path("hostname").asText());
        assertEquals(own.at("/linux/namespaces"), fresh.at("/linux/namespaces"),
                "a namespace without a path on the host stays the container's own");
    }

    @Test
    void specWithoutLinuxSectionGetsTheCgroupPath() throws Exception {
        ObjectNode spec = GuestSpec.rewrite(bytes("{\"process\": {\"args\": [\"true\"]}}"), "c2", "/r", NO_SANDBOX);

        assertEquals("/podvisor/c2", spec.at("/linux/cgroupsPath").asText());
        assertEquals("/r", spec.at("/root/path").asText());
        assertFalse(spec.at("/root").has("readonly"));
    }

    @Test
    void aContainerWithoutSeccompGetsAFilterThatRefusesVsockSocketsOnly() throws Exception {
        ObjectNode spec = GuestSpec.rewrite(bytes(HOST_SPEC), "c1", "/r", NO_SANDBOX);

        assertEquals("SCMP_ACT_ALLOW", spec.at("/linux/seccomp/defaultAction").asText());
        assertEquals("[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]",
                spec.at("/linux/seccomp/architectures").toString());
        assertEquals("[{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,"
                + "\"args\":[{\"index\":0,\"value\":40,\"op\":\"SCMP_CMP_EQ\"}]}]",
                spec.at("/linux/seccomp/syscalls").toString());
    }

    @Test
    void aPodsOwnSeccompProfileKeepsItsRulesAndGainsTheVsockRule() throws Exception {
        String profiled = HOST_SPEC.replace("\"cgroupsPath\"", "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", "
                + "\"syscalls\": [{\"names\": [\"read\", \"socket\"], \"action\": \"SCMP_ACT_ALLOW\"}]}, \"cgroupsPath\"");
        ObjectNode spec = GuestSpec.rewrite(bytes(profiled), "c1", "/r", NO_SANDBOX);

        assertEquals("SCMP_ACT_ERRNO", spec.at("/linux/seccomp/defaultAction").asText());
        assertEquals(2, spec.at("/linux/seccomp/syscalls").size());
        assertEquals("[\"read\",\"socket\"]", spec.at("/linux/seccomp/syscalls/0/names").toString());
        assertEquals(40, spec.at("/linux/seccomp/syscalls/1/args/0/value").asInt());
        assertEquals("linux.seccomp must be an object, not STRING",
                invalid("{\"process\": {\"args\": [\"true\"]}, \"linux\": {\"seccomp\": \"unconfined\"}}"));
    }

    @Test
    void malformedSpecsNameTheField() {
        assertTrue(invalid("{\"process\": {").startsWith("the OCI spec is not valid JSON: Unexpected end-of-input"));
        assertEquals("the OCI spec must be an object, not ARRAY", invalid("[]"));
        assertEquals("process is missing", invalid("{}"));
        assertEquals("process.args must be a non-empty array", invalid("{\"process\": {\"args\": []}}"));
        assertEquals("process.args must hold strings", invalid("{\"process\": {\"args\": [1]}}"));
        assertEquals("process.cwd must be an absolute path",
                invalid("{\"process\": {\"args\": [\"true\"], \"cwd\": \"work\"}}"));
        assertEquals("root must be an object, not STRING", invalid("{\"process\": {\"args\": [\"true\"]}, \"root\": \"/\"}"));
        assertEquals("mounts[1].destination is missing", invalid(
                "{\"process\": {\"args\": [\"true\"]}, \"mounts\": [{\"destination\": \"/a\"}, {\"type\": \"tmpfs\"}]}"));
        assertEquals("linux.namespaces[0].type is missing", invalid(
                "{\"process\": {\"args\": [\"true\"]}, \"linux\": {\"namespaces\": [{\"path\": \"/x\"}]}}"));
    }

    @Test
    void execProcessTakesTheRequestedTerminalAndItsSize() throws Exception {
        ObjectNode process = GuestSpec.execProcess(bytes("{\"args\": [\"sh\"], \"terminal\": false}"),
                new GuestSpec.Terminal(true, 30, 90));

        assertTrue(process.get("terminal").asBoolean());
        assertEquals("{\"height\":30,\"width\":90}", process.get("consoleSize").toString());
        ObjectNode plain = GuestSpec.execProcess(bytes("{\"args\": [\"sh\"], \"terminal\": true,"
                + " \"consoleSize\": {\"height\": 1, \"width\": 1}}"), new GuestSpec.Terminal(false, 0, 0));
        assertFalse(plain.get("terminal").asBoolean());
        assertFalse(plain.has("consoleSize"));
        ObjectNode hostSized = GuestSpec.execProcess(bytes("{\"args\": [\"sh\"],"
                + " \"consoleSize\": {\"height\": 40, \"width\": 100}}"), new GuestSpec.Terminal(true, 0, 0));
        assertEquals("{\"height\":40,\"width\":100}", hostSized.get("consoleSize").toString());
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> GuestSpec.execProcess(bytes("{\"env\": []}"), new GuestSpec.Terminal(false, 0, 0)));
        assertEquals("process_json.args must be a non-empty array", e.getMessage());
    }

    @Test
    void aConsoleSizeCountsOnlyWithBothFigures() throws Exception {
        assertTrue(GuestSpec.hasConsoleSize(GuestSpec.execProcess(bytes("{\"args\": [\"sh\"]}"),
                new GuestSpec.Terminal(true, 30, 90))));
        assertFalse(GuestSpec.hasConsoleSize(GuestSpec.execProcess(bytes("{\"args\": [\"sh\"]}"),
                new GuestSpec.Terminal(true, 0, 0))));
        assertFalse(GuestSpec.hasConsoleSize(GuestSpec.execProcess(bytes("{\"args\": [\"sh\"],"
                + " \"consoleSize\": {\"height\": 40, \"width\": 0}}"), new GuestSpec.Terminal(true, 0, 0))));
    }

    private static String invalid(String json) {
        return assertThrows(InvalidSpecException.class, () -> GuestSpec.rewrite(bytes(json), "c", "/r", NO_SANDBOX)).getMessage();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
