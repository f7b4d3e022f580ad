package io.podvisor.hypervisor.cloudhypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the body of a Cloud Hypervisor error response into one line. Cloud Hypervisor sends a
 * JSON array of messages, outermost error first; older versions send plain text.
 */
final class ErrorBody {
    private static final int MAX_CHARS = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorBody() {}

    static String describe(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return "";
        }
        String line = text;
        try {
            JsonNode node = JSON.readTree(text);
            if (node != null && node.isArray() && !node.isEmpty()) {
                List<String> messages = new ArrayList<>();
                node.forEach(m -> messages.add(m.isTextual() ? m.textValue() : m.toString()));
                line = String.join(": ", messages);
            } else if (node != null && node.isTextual()) {
                line = node.textValue();
            }
        } catch (IOException notJson) {
            line = text.replaceAll("\\s*\\R\\s*", " ");
        }
        return line.length() > MAX_CHARS ? line.substring(0, MAX_CHARS) + "..." : line;
    }
}
