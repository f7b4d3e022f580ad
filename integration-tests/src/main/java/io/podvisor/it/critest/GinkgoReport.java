package io.podvisor.it.critest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the specs of a Ginkgo JSON report ({@code --ginkgo.json-report}) that critest wrote. */
public final class GinkgoReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GinkgoReport() {
    }

    public static List<SpecResult> read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || !root.isArray()) {
            throw new IOException(file + " is not a Ginkgo JSON report (an array of suite reports)");
        }
        List<SpecResult> specs = new ArrayList<>();
        for (JsonNode suite : root) {
            for (JsonNode spec : suite.path("SpecReports")) {
                if (!spec.path("LeafNodeType").asText().equals("It")) {
                    continue;
                }
                List<String> texts = new ArrayList<>();
                spec.path("ContainerHierarchyTexts").forEach(text -> texts.add(text.asText()));
                texts.add(spec.path("LeafNodeText").asText());
                specs.add(new SpecResult(String.join(" ", texts), spec.path("State").asText(),
                        spec.path("Failure").path("Message").asText("")));
            }
        }
        return specs;
    }
}
