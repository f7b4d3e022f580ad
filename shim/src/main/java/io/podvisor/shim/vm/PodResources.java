package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.podvisor.shim.task.TaskException;

/**
 * A pod's limits as containerd's CRI writes them on the sandbox container's spec annotations (from
 * {@code LinuxPodSandboxConfig.resources}): the memory limit in bytes and the CFS quota and period
 * in microseconds. Zero means no limit.
 */
record PodResources(long memoryLimitBytes, long cpuQuotaMicros, long cpuPeriodMicros) {
    static final String MEMORY = "io.kubernetes.cri.sandbox-memory";
    static final String CPU_QUOTA = "io.kubernetes.cri.sandbox-cpu-quota";
    static final String CPU_PERIOD = "io.kubernetes.cri.sandbox-cpu-period";
    /** The kernel's CFS period when none is given. */
    static final long DEFAULT_CPU_PERIOD_MICROS = 100_000;

    static final PodResources NONE = new PodResources(0, 0, 0);

    /** Reads the annotations; "0", "-1" (no quota) and absent all mean no limit. */
    static PodResources of(String pod, JsonNode sandboxSpec) throws TaskException {
        JsonNode annotations = sandboxSpec.path("annotations");
        long memory = number(pod, annotations, MEMORY);
        long quota = number(pod, annotations, CPU_QUOTA);
        long period = number(pod, annotations, CPU_PERIOD);
        return new PodResources(Math.max(memory, 0), Math.max(quota, 0),
                period > 0 ? period : DEFAULT_CPU_PERIOD_MICROS);
    }

    boolean hasMemoryLimit() {
        return memoryLimitBytes > 0;
    }

    boolean hasCpuLimit() {
        return cpuQuotaMicros > 0;
    }

    /** The CPUs the quota allows, rounded up: a quota of 1.5 CPUs needs 2 vCPUs. */
    long cpus() {
        return Math.ceilDiv(cpuQuotaMicros, cpuPeriodMicros);
    }

    private static long number(String pod, JsonNode annotations, String key) throws TaskException {
        String value = annotations.path(key).asText("").trim();
        if (value.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw TaskException.invalidArgument("podvisor: " + pod + ": annotation " + key + " = \"" + value
                    + "\" is not a number; the CRI (containerd) writes it from the pod's resources");
        }
    }
}
