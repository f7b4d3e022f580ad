package io.podvisor.hypervisor.virtiofs;

import java.util.List;
import java.util.Objects;

/**
 * One mount of a container's root file system as containerd hands it to a shim (its
 * {@code types.Mount}): {@code overlay} with lowerdir=/upperdir=/workdir= options, or a
 * {@code bind} of a snapshot directory with {@code rbind} and {@code ro}/{@code rw}.
 */
public record RootfsMount(String type, String source, List<String> options) {
    public RootfsMount {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        options = List.copyOf(options);
    }
}
