package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How messages name a pod and a container: by id, with the Kubernetes names the CRI annotates the
 * spec with (when it does), since those are what a user knows.
 */
final class PodNames {
    static final String SANDBOX_NAMESPACE = "io.kubernetes.cri.sandbox-namespace";
    static final String SANDBOX_NAME = "io.kubernetes.cri.sandbox-name";
    static final String CONTAINER_NAME = "io.kubernetes.cri.container-name";

    private PodNames() {}

    /** "pod ID (NAMESPACE/NAME)", or "pod ID" without CRI annotations. */
    static String pod(String podId, JsonNode spec) {
        JsonNode annotations = spec.path("annotations");
        String name = annotations.path(SANDBOX_NAME).asText("");
        String namespace = annotations.path(SANDBOX_NAMESPACE).asText("");
        if (name.isEmpty()) {
            return "pod " + podId;
        }
        return "pod " + podId + " (" + (namespace.isEmpty() ? "" : namespace + "/") + name + ")";
    }

    /** "container ID (NAME) of pod ..." */
    static String container(String containerId, String podId, JsonNode spec) {
        String name = spec.path("annotations").path(CONTAINER_NAME).asText("");
        return "container " + containerId + (name.isEmpty() ? "" : " (" + name + ")") + " of " + pod(podId, spec);
    }
}
