package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.virtiofs.SharedDir;
import io.podvisor.shim.task.TaskException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a container's OCI spec from the host's view into the guest's: every bind mount's host
 * source is bound into the pod's shared directory and the mount's source becomes that path in
 * the guest. Other mounts (proc, tmpfs, sysfs, ...) are the guest's own and stay as they are.
 */
final class GuestSpec {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String GUEST_OCI_VERSION = "1.0.2";

    private GuestSpec() {}

    /**
     * Binds each host source under {@code <containerId>/mounts/<n>} of {@code shared} and returns
     * the rewritten spec as JSON bytes. Every source is checked before the first bind, and what was
     * bound is removed again when a bind fails: a failed container leaves nothing in the share.
     * {@code container} names the container and its pod in messages.
     */
    static byte[] rewrite(JsonNode spec, String containerId, String container, SharedDir shared)
            throws TaskException {
        ObjectNode copy = spec.deepCopy();
        // The guest's crun (Debian bookworm, 1.8) refuses any runtime-spec version but 1.0.x, and
        // Debian's containerd 1.7 writes 1.2.0; nothing the shim forwards needs a later version.
        if (!copy.path("ociVersion").asText().startsWith("1.0")) {
            copy.put("ociVersion", GUEST_OCI_VERSION);
        }
        // By index in the spec's mounts, which names each one's place in the share.
        Map<Integer, ObjectNode> binds = new LinkedHashMap<>();
        if (copy.path("mounts") instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i) instanceof ObjectNode mount && isBind(mount)) {
                    binds.put(i, mount);
                }
            }
        }
        for (ObjectNode mount : binds.values()) {
            if (!Files.exists(Path.of(mount.path("source").asText()))) {
                throw TaskException.failedPrecondition("podvisor: " + container + ": " + describe(mount)
                        + " does not exist on the host: create it or correct the volume (was it removed after"
                        + " the container was created?)");
            }
        }
        String mountsDir = containerId + "/mounts";
        for (Map.Entry<Integer, ObjectNode> entry : binds.entrySet()) {
            ObjectNode mount = entry.getValue();
            String relative = mountsDir + "/" + entry.getKey();
            try {
                shared.bind(Path.of(mount.path("source").asText()), relative, options(mount).contains("ro"));
            } catch (VmmException e) {
                TaskException failure = TaskException.failedPrecondition("podvisor: " + container
                        + ": cannot share " + describe(mount) + " with the VM: " + e.getMessage());
                try {
                    shared.remove(mountsDir);
                } catch (VmmException undo) {
                    failure.addSuppressed(undo);
                }
                throw failure;
            }
            mount.put("source", PodDirs.guestPath(relative));
        }
        try {
            return JSON.writeValueAsBytes(copy);
        } catch (Exception e) {
            throw TaskException.internal("podvisor: " + container + ": cannot encode its OCI spec: " + e.getMessage(), e);
        }
    }

    /** "the host path SOURCE of its mount at DESTINATION" */
    private static String describe(JsonNode mount) {
        return "the host path " + mount.path("source").asText() + " of its mount at " + mount.path("destination").asText();
    }

    static boolean isBind(JsonNode mount) {
        List<String> options = options(mount);
        return mount.path("type").asText().equals("bind") || options.contains("bind") || options.contains("rbind");
    }

    private static List<String> options(JsonNode mount) {
        List<String> options = new ArrayList<>();
        mount.path("options").forEach(o -> options.add(o.asText()));
        return options;
    }
}
