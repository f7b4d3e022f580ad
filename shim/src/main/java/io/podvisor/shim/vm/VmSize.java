package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.config.WarmPoolShape;
import io.podvisor.shim.task.TaskException;

/**
 * How big a pod's VM is: its memory limit plus what the guest itself needs (kernel, agent, crun),
 * and as many vCPUs as its CPU limit allows, never more than the host has. A pod without limits
 * gets the configured defaults.
 */
record VmSize(int vcpus, long memoryMiB) {
    private static final System.Logger LOG = System.getLogger(VmSize.class.getName());
    static final long MIB = 1024 * 1024;

    /**
     * Sizes the VM of {@code pod} (as messages name it); INVALID_ARGUMENT when the pod's memory limit
     * is below the configured minimum.
     */
    static VmSize forPod(String pod, PodResources resources, PodvisorConfig config, int hostCpus)
            throws TaskException {
        long memoryMiB = config.defaultMemoryMiB();
        if (resources.hasMemoryLimit()) {
            requireMinimum(pod, "pod", resources.memoryLimitBytes(), config);
            memoryMiB = Math.ceilDiv(resources.memoryLimitBytes(), MIB) + config.guestOverheadMemoryMiB();
        }
        int vcpus = config.defaultVcpus();
        if (resources.hasCpuLimit()) {
            long wanted = resources.cpus();
            vcpus = (int) Math.min(wanted, hostCpus);
            if (wanted > hostCpus) {
                LOG.log(System.Logger.Level.INFO, "{0}: its CPU limit asks for {1} vCPUs, the host has {2} CPUs:"
                        + " the VM gets {2}", pod, wanted, hostCpus);
            }
        }
        return new VmSize(vcpus, memoryMiB);
    }

    /** {@link #forPod} for the pod whose sandbox spec this is, on this host. */
    static VmSize forSandbox(String pod, JsonNode sandboxSpec, PodvisorConfig config) throws TaskException {
        return forPod(pod, PodResources.of(pod, sandboxSpec), config, Runtime.getRuntime().availableProcessors());
    }

    /** The size a warm pool shape ("2x256") names. */
    static VmSize ofShape(String shape) {
        return new VmSize(WarmPoolShape.vcpusOf(shape), WarmPoolShape.memoryMiBOf(shape));
    }

    /**
     * INVALID_ARGUMENT when a memory limit of {@code bytes} is below min_pod_memory_mib; {@code subject}
     * names the pod or container in the message, {@code owner} ("pod" or "container") whose limit to raise.
     */
    static void requireMinimum(String subject, String owner, long bytes, PodvisorConfig config) throws TaskException {
        if (bytes < config.minPodMemoryMiB() * MIB) {
            throw TaskException.invalidArgument("podvisor: " + subject + " has a memory limit of " + describe(bytes)
                    + ", below the minimum of " + config.minPodMemoryMiB() + " MiB: raise the " + owner
                    + "'s memory limit or lower min_pod_memory_mib in " + PodvisorConfig.path());
        }
    }

    /** "64 MiB", or bytes when the size is not a whole number of MiB. */
    static String describe(long bytes) {
        return bytes % MIB == 0 ? bytes / MIB + " MiB" : bytes + " bytes";
    }
}
