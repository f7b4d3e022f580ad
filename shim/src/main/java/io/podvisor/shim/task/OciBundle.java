package io.podvisor.shim.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** An OCI bundle directory as containerd prepares it: config.json (the runtime spec) and rootfs/. */
public final class OciBundle {
    public static final String SANDBOX_ID_ANNOTATION = "io.kubernetes.cri.sandbox-id";
    public static final String CONTAINER_TYPE_ANNOTATION = "io.kubernetes.cri.container-type";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final JsonNode spec;

    private OciBundle(Path path, JsonNode spec) {
        this.path = path;
        this.spec = spec;
    }

    /** Reads {@code dir/config.json}; FAILED_PRECONDITION naming the file when it is missing or not a spec. */
    public static OciBundle load(Path dir) throws TaskException {
        Path config = dir.resolve("config.json");
        try {
            JsonNode spec = JSON.readTree(Files.readAllBytes(config));
            if (spec == null || !spec.isObject()) {
                throw TaskException.failedPrecondition("bundle " + dir + ": config.json is not an OCI runtime spec");
            }
            return new OciBundle(dir, spec);
        } catch (NoSuchFileException e) {
            throw TaskException.failedPrecondition("bundle " + dir + " has no config.json");
        } catch (IOException e) {
            throw TaskException.failedPrecondition("bundle " + dir + ": cannot read config.json: " + e.getMessage());
        }
    }

    public Path path() {
        return path;
    }

    /** The OCI runtime spec (config.json). */
    public JsonNode spec() {
        return spec;
    }

    public Map<String, String> annotations() {
        Map<String, String> annotations = new LinkedHashMap<>();
        spec.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
        return annotations;
    }

    /** The CRI pod sandbox this container belongs to, if CRI created it. */
    public Optional<String> sandboxId() {
        return Optional.ofNullable(annotations().get(SANDBOX_ID_ANNOTATION)).filter(s -> !s.isEmpty());
    }

    /**
     * Whether this container starts a pod: the CRI sandbox (pause) container, or any container that
     * no CRI sandbox claims (ctr run).
     */
    public boolean isSandbox() {
        String type = annotations().get(CONTAINER_TYPE_ANNOTATION);
        return type == null || type.equals("sandbox");
    }
}
