package io.podvisor.shim.ttrpc;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a handler knows about the call it serves besides the request message. */
public record CallContext(String service, String method, Map<String, List<String>> metadata, Optional<Instant> deadline) {
    /** containerd names the namespace of a call in this metadata key. */
    public static final String NAMESPACE_KEY = "containerd-namespace-ttrpc";

    public Optional<String> firstMetadata(String key) {
        List<String> values = metadata.get(key);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }
}
