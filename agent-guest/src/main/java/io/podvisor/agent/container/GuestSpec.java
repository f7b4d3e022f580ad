package io.podvisor.agent.container;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * The host's OCI spec turned into the guest's. The host already rewrote bind-mount sources to guest paths;
 * here the root becomes the rootfs inside the pod share, namespace paths (host files) go, and so does the
 * network namespace (the containers of a pod share the guest's network), hooks (host binaries) and host
 * security labels (profiles loaded on the host, not in the guest). The cgroup is {@code /podvisor/<id>}, in a
 * cgroup namespace of its own: the guest always runs cgroup v2, whatever the host runs. No container may make a
 * vsock socket ({@link VsockBlock}).
 *
 * <p>A container of a CRI pod joins its sandbox container's IPC and UTS namespaces, as in Kubernetes, and its
 * PID namespace where the pod shares one ({@code shareProcessNamespace}): where the host spec gives those
 * namespaces a path (the sandbox's, on the host), the guest spec names the sandbox's init in the guest instead.
 */
final class GuestSpec {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SANDBOX_ID_ANNOTATION = "io.kubernetes.cri.sandbox-id";
    private static final Set<String> SHARED_WITH_SANDBOX = Set.of("ipc", "uts", "pid");

    /** Where a pod's sandbox container runs in the guest. */
    @FunctionalInterface
    interface SandboxInit {
        /**
         * The guest pid of the running init of sandbox container {@code sandboxId}.
         *
         * @throws io.grpc.StatusRuntimeException when it is not running
         */
        int pid(String sandboxId);
    }

    private GuestSpec() {}

    /** The cgroup path crun gets for a container, relative to the cgroup2 mount. */
    static String cgroupsPath(String containerId) {
        return "/podvisor/" + containerId;
    }

    static ObjectNode rewrite(byte[] hostSpec, String containerId, String rootfsPath, SandboxInit sandbox)
            throws InvalidSpecException {
        ObjectNode spec = object(parse(hostSpec, "the OCI spec"), "the OCI spec");
        requireProcess(spec.get("process"), "process");
        JsonNode root = spec.get("root");
        if (root != null && !root.isObject()) {
            throw new InvalidSpecException("root must be an object, not " + root.getNodeType());
        }
        ObjectNode guestRoot = spec.putObject("root");
        guestRoot.put("path", rootfsPath);
        if (root != null && root.has("readonly")) {
            if (!root.get("readonly").isBoolean()) {
                throw new InvalidSpecException("root.readonly must be true or false");
            }
            guestRoot.set("readonly", root.get("readonly"));
        }
        JsonNode mounts = spec.get("mounts");
        if (mounts != null) {
            if (!mounts.isArray()) {
                throw new InvalidSpecException("mounts must be an array");
            }
            for (int i = 0; i < mounts.size(); i++) {
                if (!mounts.get(i).isObject() || !mounts.get(i).path("destination").isTextual()) {
                    throw new InvalidSpecException("mounts[" + i + "].destination is missing");
                }
            }
        }
        spec.remove("hooks");
        if (spec.get("process") instanceof ObjectNode process) {
            process.remove("apparmorProfile");
            process.remove("selinuxLabel");
        }
        ObjectNode linux = spec.has("linux") ? object(spec.get("linux"), "linux") : spec.putObject("linux");
        linux.remove("mountLabel");
        linux.put("cgroupsPath", cgroupsPath(containerId));
        VsockBlock.apply(linux);
        JsonNode namespaces = linux.get("namespaces");
        if (namespaces != null) {
            if (!namespaces.isArray()) {
                throw new InvalidSpecException("linux.namespaces must be an array");
            }
            String sandboxId = spec.path("annotations").path(SANDBOX_ID_ANNOTATION).asText("");
            boolean inPod = !sandboxId.isEmpty() && !sandboxId.equals(containerId);
            int sandboxPid = 0;
            ArrayNode kept = linux.putArray("namespaces");
            for (int i = 0; i < namespaces.size(); i++) {
                JsonNode namespace = namespaces.get(i);
                if (!namespace.isObject() || !namespace.path("type").isTextual()) {
                    throw new InvalidSpecException("linux.namespaces[" + i + "].type is missing");
                }
                String type = namespace.get("type").asText();
                if (type.equals("network")) {
                    continue;
                }
                ObjectNode guest = kept.addObject().put("type", type);
                if (inPod && SHARED_WITH_SANDBOX.contains(type) && !namespace.path("path").asText("").isEmpty()) {
                    sandboxPid = sandboxPid != 0 ? sandboxPid : sandbox.pid(sandboxId);
                    guest.put("path", "/proc/" + sandboxPid + "/ns/" + type);
                    if (type.equals("uts")) {
                        // The sandbox named the shared UTS namespace; crun sets no host name in a joined one.
                        spec.remove("hostname");
                        spec.remove("domainname");
                    }
                }
            }
            if (!kept.findValuesAsText("type").contains("cgroup")) {
                kept.addObject().put("type", "cgroup");
            }
        }
        return spec;
    }

    /** An exec's OCI process object, with the terminal the request asks for. */
    static ObjectNode execProcess(byte[] processJson, Terminal terminal) throws InvalidSpecException {
        ObjectNode process = requireProcess(parse(processJson, "process_json"), "process_json");
        terminal.applyTo(process);
        process.remove("apparmorProfile");
        process.remove("selinuxLabel");
        return process;
    }

    /**
     * Whether a process gets a terminal, and its size. A size goes into the process's consoleSize: crun gives
     * an init's terminal that size before the process runs, but an exec's only after the process has started
     * (crun's exec parent sizes the pty once it has let the process go), which is why a sized exec waits at a
     * {@link TerminalGate}. Without a size, a consoleSize the host wrote stays.
     */
    record Terminal(boolean enabled, int rows, int columns) {
        void applyTo(ObjectNode process) {
            process.put("terminal", enabled);
            if (!enabled) {
                process.remove("consoleSize");
            } else if (rows > 0 && columns > 0) {
                process.putObject("consoleSize").put("height", rows).put("width", columns);
            }
        }
    }

    /** Whether an OCI process object gives its terminal a size (crun applies one only with both figures). */
    static boolean hasConsoleSize(ObjectNode process) {
        JsonNode size = process.path("consoleSize");
        return size.path("height").asInt() > 0 && size.path("width").asInt() > 0;
    }

    /** Validates an OCI linux.resources object for crun update. */
    static ObjectNode resources(byte[] resourcesJson) throws InvalidSpecException {
        return object(parse(resourcesJson, "resources_json"), "resources_json");
    }

    private static ObjectNode requireProcess(JsonNode process, String field) throws InvalidSpecException {
        if (process == null) {
            throw new InvalidSpecException(field + " is missing");
        }
        ObjectNode object = object(process, field);
        JsonNode args = object.get("args");
        if (args == null || !args.isArray() || args.isEmpty()) {
            throw new InvalidSpecException(field + ".args must be a non-empty array");
        }
        for (Iterator<JsonNode> it = args.elements(); it.hasNext(); ) {
            if (!it.next().isTextual()) {
                throw new InvalidSpecException(field + ".args must hold strings");
            }
        }
        JsonNode cwd = object.get("cwd");
        if (cwd != null && (!cwd.isTextual() || !cwd.asText().startsWith("/"))) {
            throw new InvalidSpecException(field + ".cwd must be an absolute path");
        }
        return object;
    }

    private static JsonNode parse(byte[] json, String what) throws InvalidSpecException {
        if (json.length == 0) {
            throw new InvalidSpecException(what + " is empty");
        }
        try {
            return JSON.readTree(json);
        } catch (JacksonException e) {
            throw new InvalidSpecException(what + " is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidSpecException(what + " cannot be read: " + e.getMessage());
        }
    }

    private static ObjectNode object(JsonNode node, String field) throws InvalidSpecException {
        if (node instanceof ObjectNode object) {
            return object;
        }
        throw new InvalidSpecException(field + " must be an object, not " + (node == null ? "missing" : node.getNodeType()));
    }
}
