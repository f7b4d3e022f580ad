package io.podvisor.hypervisor.cloudhypervisor;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Cloud Hypervisor's OpenAPI document, read from {@code ../shared/reference/cloud-hypervisor.yaml}
 * beside the repository (never copied into it), with a JSON-schema validator for its schemas.
 *
 * <p>The document leaves {@code additionalProperties} open, so a misspelt property would pass;
 * the validator here closes every object schema that lists its properties, so a property the
 * document does not know fails too.
 */
final class OpenApiDocument {
    static final String RELATIVE_PATH = "../shared/reference/cloud-hypervisor.yaml";

    private final JsonNode document;
    private final SchemaRegistry registry;
    private final String uri;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    private OpenApiDocument(Path file) throws IOException {
        document = YAMLMapper.builder().build().readTree(Files.readString(file));
        JsonNode strict = document.deepCopy();
        closeObjectSchemas(strict.path("components").path("schemas"));
        uri = file.toUri().toString();
        String json = strict.toString();
        registry = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi30(), b -> b.schemas(Map.of(uri, json)));
    }

    static OpenApiDocument load() throws IOException {
        Path file = locate();
        if (!Files.isRegularFile(file)) {
            throw new IOException("Cloud Hypervisor's API document " + file + " is missing: the contract tests read it"
                    + " from shared/reference beside the repository checkout (" + RELATIVE_PATH + ")");
        }
        return new OpenApiDocument(file);
    }

    /** The repository root is the nearest ancestor of the working directory holding the parent pom. */
    static Path locate() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pom.xml")) && Files.isDirectory(d.resolve("hypervisor"))) {
                return d.resolve(RELATIVE_PATH).normalize();
            }
        }
        return dir.resolve("..").resolve(RELATIVE_PATH).normalize();
    }

    String version() {
        return document.path("info").path("version").asString();
    }

    boolean hasOperation(String path, String method) {
        return document.path("paths").path(path).has(method.toLowerCase(Locale.ROOT));
    }

    /** The schema name the operation's JSON request body refers to, if it takes a body. */
    Optional<String> requestSchema(String path, String method) {
        JsonNode ref = document.path("paths").path(path).path(method.toLowerCase(Locale.ROOT))
                .path("requestBody").path("content").path("application/json").path("schema").path("$ref");
        return ref.isMissingNode() ? Optional.empty() : Optional.of(ref.asString().replace("#/components/schemas/", ""));
    }

    boolean requestBodyRequired(String path, String method) {
        return document.path("paths").path(path).path(method.toLowerCase(Locale.ROOT))
                .path("requestBody").path("required").asBoolean(false);
    }

    /** The schema of a 200 response, if the operation documents one. */
    Optional<String> responseSchema(String path, String method) {
        JsonNode ref = document.path("paths").path(path).path(method.toLowerCase(Locale.ROOT))
                .path("responses").path("200").path("content").path("application/json").path("schema").path("$ref");
        return ref.isMissingNode() ? Optional.empty() : Optional.of(ref.asString().replace("#/components/schemas/", ""));
    }

    /** Validates {@code json} against {@code components/schemas/<schemaName>}; empty when it conforms. */
    List<String> validate(String schemaName, String json) {
        if (!document.path("components").path("schemas").has(schemaName)) {
            throw new IllegalArgumentException("the document has no schema " + schemaName);
        }
        Schema schema = schemas.computeIfAbsent(schemaName,
                n -> registry.getSchema(SchemaLocation.of(uri + "#/components/schemas/" + n)));
        return schema.validate(json, InputFormat.JSON).stream().map(Error::toString).toList();
    }

    private static void closeObjectSchemas(JsonNode node) {
        if (node instanceof ObjectNode object) {
            if (object.has("properties") && !object.has("additionalProperties")) {
                object.put("additionalProperties", false);
            }
            object.values().forEach(OpenApiDocument::closeObjectSchemas);
        } else if (node.isArray()) {
            node.values().forEach(OpenApiDocument::closeObjectSchemas);
        }
    }
}
