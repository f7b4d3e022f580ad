package io.podvisor.agent.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The network sysctls ({@code net.*}) of a container's spec. In the guest the containers of a pod run in
 * the VM's own network namespace, which is the pod's: crun refuses network sysctls without a new network
 * namespace, so they leave the spec and the agent writes them under {@code /proc/sys/net} of the guest, as
 * a runtime that gives the pod a network namespace of its own applies them there (containerd 2.x puts
 * {@code net.ipv4.ip_unprivileged_port_start} in every CRI sandbox).
 */
record NetworkSysctls(Map<String, String> values) {

    private static final Pattern NAME = Pattern.compile("net(\\.[A-Za-z0-9_-]+)+");

    /** Removes the {@code net.*} entries from {@code linux.sysctl} of a guest spec and returns them. */
    static NetworkSysctls takeFrom(ObjectNode spec) throws InvalidSpecException {
        Map<String, String> taken = new LinkedHashMap<>();
        JsonNode sysctl = spec.path("linux").get("sysctl");
        if (sysctl == null || sysctl.isNull()) {
            return new NetworkSysctls(taken);
        }
        if (!(sysctl instanceof ObjectNode entries)) {
            throw new InvalidSpecException("linux.sysctl must be an object, not " + sysctl.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = entries.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String name = entry.getKey().replace('/', '.');
            if (!name.startsWith("net.")) {
                continue;
            }
            if (!NAME.matcher(name).matches()) {
                throw new InvalidSpecException("sysctl \"" + entry.getKey() + "\" is not a valid network sysctl name");
            }
            if (!entry.getValue().isTextual()) {
                throw new InvalidSpecException("sysctl " + entry.getKey() + " must have a string value");
            }
            taken.put(name, entry.getValue().asText());
            it.remove();
        }
        return new NetworkSysctls(taken);
    }

    /** Writes each value under {@code procSys} (the guest's {@code /proc/sys}). */
    void apply(Path procSys) throws InvalidSpecException, IOException {
        for (Map.Entry<String, String> entry : values.entrySet()) {
            Path file = procSys.resolve(entry.getKey().replace('.', '/'));
            try {
                Files.writeString(file, entry.getValue(), StandardCharsets.US_ASCII);
            } catch (NoSuchFileException e) {
                throw new InvalidSpecException("sysctl " + entry.getKey() + " does not exist in the guest kernel");
            } catch (IOException e) {
                throw new InvalidSpecException("sysctl " + entry.getKey() + " = " + entry.getValue()
                        + " cannot be set in the pod's network namespace: " + e.getMessage());
            }
        }
    }
}
