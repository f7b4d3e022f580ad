package io.podvisor.shim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.podvisor.proto.containerd.runtimeoptions.v1.Options;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The runtime options containerd hands the shim: the {@code options} table of the runtime's section in
 * containerd's config, which the CRI plugin sends as {@code runtimeoptions.v1.Options}. Podvisor takes one
 * option, {@code ConfigPath}: the podvisor config file for the pods of this runtime handler (instead of
 * {@code /etc/podvisor/config.toml}). Any other option, and options of another runtime's type, are refused
 * by name.
 */
record RuntimeOptions(Optional<Path> configPath) {

    static final String TYPE = "runtimeoptions.v1.Options";
    /** Keys of the options table that containerd itself reads into {@link Options}. */
    private static final Set<String> KNOWN = Set.of("ConfigPath", "TypeUrl");

    static RuntimeOptions none() {
        return new RuntimeOptions(Optional.empty());
    }

    static RuntimeOptions from(Optional<Any> any) throws ShimException {
        if (any.isEmpty() || any.get().getTypeUrl().isEmpty()) {
            return none();
        }
        String type = any.get().getTypeUrl().substring(any.get().getTypeUrl().lastIndexOf('/') + 1);
        if (!type.equals(TYPE)) {
            throw new ShimException("runtime options of type " + type + " are not podvisor's: runtime_type "
                    + "io.containerd.podvisor.v2 takes an options table with ConfigPath only (a podvisor config.toml)");
        }
        Options options;
        try {
            options = Options.parseFrom(any.get().getValue());
        } catch (InvalidProtocolBufferException e) {
            throw new ShimException("cannot decode the runtime options (" + TYPE + "): " + e.getMessage(), e);
        }
        List<String> unknown = unknownKeys(options.getConfigBody().toByteArray());
        if (!unknown.isEmpty()) {
            throw new ShimException("unknown runtime option" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + " for podvisor: its options table in containerd's config takes ConfigPath only (a podvisor config.toml)");
        }
        if (options.getConfigPath().isEmpty()) {
            return none();
        }
        Path path = Path.of(options.getConfigPath());
        if (!Files.isRegularFile(path)) {
            throw new ShimException("runtime option ConfigPath names " + path + ", which is not a file");
        }
        return new RuntimeOptions(Optional.of(path));
    }

    private static List<String> unknownKeys(byte[] toml) throws ShimException {
        if (toml.length == 0) {
            return List.of();
        }
        JsonNode table;
        try {
            table = new TomlMapper().readTree(toml);
        } catch (IOException e) {
            throw new ShimException("cannot read the runtime options containerd sent as TOML: " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        table.fieldNames().forEachRemaining(name -> {
            if (!KNOWN.contains(name)) {
                unknown.add(name);
            }
        });
        return unknown;
    }
}
