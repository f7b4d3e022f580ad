package io.podvisor.shim.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One {@code [[pool]]} entry of the node configuration: how many VMs of {@code vcpus} and {@code memory_mib} to
 * keep booted, their agent ready, for pods whose VM has that size.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record WarmPoolShape(
        @JsonProperty("vcpus") Integer vcpus,
        @JsonProperty("memory_mib") Long memoryMiB,
        @JsonProperty("size") Integer size) {

    public WarmPoolShape {
        if (vcpus == null || memoryMiB == null || size == null) {
            throw new IllegalArgumentException("a [[pool]] entry needs vcpus, memory_mib and size");
        }
        if (vcpus < 1 || memoryMiB < 128 || size < 0) {
            throw new IllegalArgumentException("[[pool]] vcpus = " + vcpus + ", memory_mib = " + memoryMiB
                    + ", size = " + size + ": vcpus must be at least 1, memory_mib at least 128, size not negative");
        }
    }

    /** How the shape is named in file and process names: "2x256". */
    public String name() {
        return name(vcpus, memoryMiB);
    }

    public static String name(int vcpus, long memoryMiB) {
        return vcpus + "x" + memoryMiB;
    }

    /** The vCPUs a shape's name ("2x256") gives. */
    public static int vcpusOf(String name) {
        return Integer.parseInt(name.substring(0, separator(name)));
    }

    /** The memory a shape's name ("2x256") gives, in MiB. */
    public static long memoryMiBOf(String name) {
        return Long.parseLong(name.substring(separator(name) + 1));
    }

    private static int separator(String name) {
        int x = name.indexOf('x');
        if (x <= 0) {
            throw new IllegalArgumentException("warm VM shape " + name + " is not VCPUSxMIB (e.g. 2x256)");
        }
        return x;
    }
}
