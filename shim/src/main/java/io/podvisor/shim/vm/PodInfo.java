package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What the shim records in a pod's directory once its VM runs, for {@code podvisor pods}: what /proc cannot
 * tell (the pod's id and Kubernetes name, since the directory is named after a hash of the id; the VM's size;
 * which processes are the pod's).
 *
 * @param namespace the pod's Kubernetes namespace, empty without CRI annotations
 * @param name the pod's Kubernetes name, empty without CRI annotations
 */
public record PodInfo(String id, String namespace, String name, int vcpus, long memoryMib, long vmmPid,
        long virtiofsdPid) {
    public static final String FILE = "pod.json";
    private static final ObjectMapper JSON =
            new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    /** The directory that holds one directory per pod. */
    public static Path podsDir(Path runDir) {
        return runDir.resolve("pods");
    }

    static PodInfo of(String podId, JsonNode sandboxSpec, VmSize size, long vmmPid, long virtiofsdPid) {
        JsonNode annotations = sandboxSpec.path("annotations");
        return new PodInfo(podId, annotations.path(PodNames.SANDBOX_NAMESPACE).asText(""),
                annotations.path(PodNames.SANDBOX_NAME).asText(""), size.vcpus(), size.memoryMiB(), vmmPid,
                virtiofsdPid);
    }

    /** Writes the file whole (a reader never sees half of it). */
    void write(Path podDir) throws IOException {
        Path tmp = podDir.resolve(FILE + ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(this));
        Files.move(tmp, podDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static PodInfo read(Path podDir) throws IOException {
        return JSON.readValue(Files.readAllBytes(podDir.resolve(FILE)), PodInfo.class);
    }
}
