package io.podvisor.shim.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.Code;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.task.TaskException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VM sizes from the annotations containerd's CRI puts on a sandbox spec. */
class VmSizeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PodvisorConfig CONFIG = PodvisorConfig.defaults();
    private static final int HOST_CPUS = 8;

    private static VmSize size(Map<String, String> annotations) throws TaskException {
        JsonNode spec = JSON.createObjectNode().set("annotations", JSON.valueToTree(annotations));
        return VmSize.forPod("pod p1", PodResources.of("pod p1", spec), CONFIG, HOST_CPUS);
    }

    @Test
    void podWithoutLimitsGetsTheConfiguredDefaults() throws TaskException {
        assertEquals(new VmSize(2, 256), size(Map.of()));
        assertEquals(new VmSize(2, 256), size(Map.of(PodResources.MEMORY, "0", PodResources.CPU_QUOTA, "0",
                PodResources.CPU_PERIOD, "100000")));
    }

    @Test
    void memoryIsThePodLimitPlusTheGuestOverhead() throws TaskException {
        assertEquals(512 + 160, size(Map.of(PodResources.MEMORY, String.valueOf(512L << 20))).memoryMiB());
    }

    @Test
    void aLimitThatIsNotWholeMibRoundsUp() throws TaskException {
        assertEquals(101 + 160, size(Map.of(PodResources.MEMORY, String.valueOf((100L << 20) + 1))).memoryMiB());
    }

    @Test
    void vcpusAreTheQuotaInWholeCpusRoundedUp() throws TaskException {
        assertEquals(2, size(Map.of(PodResources.CPU_QUOTA, "150000", PodResources.CPU_PERIOD, "100000")).vcpus());
        assertEquals(1, size(Map.of(PodResources.CPU_QUOTA, "25000", PodResources.CPU_PERIOD, "100000")).vcpus());
        assertEquals(3, size(Map.of(PodResources.CPU_QUOTA, "300000")).vcpus(), "no period: the kernel's 100 ms");
    }

    @Test
    void aQuotaOfMinusOneIsNoLimit() throws TaskException {
        assertEquals(2, size(Map.of(PodResources.CPU_QUOTA, "-1", PodResources.CPU_PERIOD, "100000")).vcpus());
    }

    @Test
    void vcpusNeverExceedTheHostsCpus() throws TaskException {
        assertEquals(HOST_CPUS, size(Map.of(PodResources.CPU_QUOTA, "3200000", PodResources.CPU_PERIOD, "100000")).vcpus());
    }

    @Test
    void memoryLimitBelowTheMinimumNamesPodSizeMinimumAndFix() {
        TaskException e = assertThrows(TaskException.class,
                () -> size(Map.of(PodResources.MEMORY, String.valueOf(8L << 20))));
        assertEquals(Code.INVALID_ARGUMENT, e.code());
        assertEquals("podvisor: pod p1 has a memory limit of 8 MiB, below the minimum of 16 MiB: raise the pod's"
                + " memory limit or lower min_pod_memory_mib in " + PodvisorConfig.path(), e.getMessage());
    }

    @Test
    void aLimitOfAFewBytesIsShownInBytes() {
        TaskException e = assertThrows(TaskException.class, () -> size(Map.of(PodResources.MEMORY, "64")));
        assertTrue(e.getMessage().contains("a memory limit of 64 bytes"), e.getMessage());
    }

    @Test
    void theMinimumItselfIsAccepted() throws TaskException {
        assertEquals(16 + 160, size(Map.of(PodResources.MEMORY, String.valueOf(16L << 20))).memoryMiB());
    }

    @Test
    void aContainerBelowTheMinimumIsNamedWithItsPod() throws Exception {
        JsonNode spec = JSON.readTree("""
                {"annotations": {"io.kubernetes.cri.container-name": "app",
                  "io.kubernetes.cri.sandbox-name": "web", "io.kubernetes.cri.sandbox-namespace": "shop"}}""");
        TaskException e = assertThrows(TaskException.class,
                () -> VmSize.requireMinimum(PodNames.container("c1", "p1", spec), "container", 1 << 20, CONFIG));
        assertTrue(e.getMessage().startsWith("podvisor: container c1 (app) of pod p1 (shop/web) has a memory limit"
                + " of 1 MiB, below the minimum of 16 MiB: raise the container's memory limit"), e.getMessage());
    }

    @Test
    void anAnnotationThatIsNotANumberIsNamed() {
        TaskException e = assertThrows(TaskException.class, () -> size(Map.of(PodResources.MEMORY, "1Gi")));
        assertTrue(e.getMessage().contains(PodResources.MEMORY + " = \"1Gi\""), e.getMessage());
    }
}
