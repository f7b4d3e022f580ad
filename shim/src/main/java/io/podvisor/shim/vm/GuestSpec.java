package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.virtiofs.SharedDir;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
     * the rewritten spec as JSON bytes.
     */
    static byte[] rewrite(JsonNode spec, String containerId, SharedDir shared) throws VmmException {
        ObjectNode copy = spec.deepCopy();
        // The guest's crun (Debian bookworm, 1.8) refuses any runtime-spec version but 1.0.x, and
        // Debian's containerd 1.7 writes 1.2.0; nothing the shim forwards needs a later version.
        if (!copy.path("ociVersion").asText().startsWith("1.0")) {
            copy.put("ociVersion", GUEST_OCI_VERSION);
        }
        JsonNode mounts = copy.path("mounts");
        if (mounts instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i) instanceof ObjectNode mount && isBind(mount)) {
                    String relative = containerId + "/mounts/" + i;
                    Path source = Path.of(mount.path("source").asText());
                    shared.bind(source, relative, options(mount).contains("ro"));
                    mount.put("source", PodDirs.guestPath(relative));
                }
            }
        }
        try {
            return JSON.writeValueAsBytes(copy);
        } catch (Exception e) {
            throw new VmmException("container " + containerId + ": cannot encode its OCI spec: " + e.getMessage(), e);
        }
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
