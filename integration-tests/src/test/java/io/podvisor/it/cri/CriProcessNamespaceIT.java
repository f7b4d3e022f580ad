package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.proto.cri.v1.ContainerConfig;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.LinuxContainerConfig;
import io.podvisor.proto.cri.v1.LinuxContainerSecurityContext;
import io.podvisor.proto.cri.v1.NamespaceMode;
import io.podvisor.proto.cri.v1.NamespaceOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code shareProcessNamespace} in a podvisor pod: containers asking for the pod's PID namespace (what kubelet
 * sends for such a pod) see each other's processes and the sandbox's as PID 1, as with runc; a container asking
 * for its own sees only itself.
 */
@Timeout(600)
class CriProcessNamespaceIT {
    private static final long EXEC_TIMEOUT = 120;

    @RegisterExtension
    static final CriTestBedExtension BED = CriTestBedExtension.withPodvisor();

    @Test
    void containersSharingThePodsPidNamespaceSeeEachOtherAndOthersDoNot() throws Exception {
        try (CriPod pod = CriPod.run(BED.bed().cri(), "shared-pid", CriTestBed.PODVISOR_HANDLER, BED.bed().logDir("shared-pid"))) {
            pod.startContainer(withPid(CriPod.container("a", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "601")),
                    NamespaceMode.POD));
            String b = pod.startContainer(withPid(CriPod.container("b", CriTestBed.BUSYBOX_IMAGE,
                    List.of("sleep", "600")), NamespaceMode.POD));
            String c = pod.startContainer(withPid(CriPod.container("c", CriTestBed.BUSYBOX_IMAGE,
                    List.of("sleep", "602")), NamespaceMode.CONTAINER));

            List<String> seenByB = processes(pod.exec(b, EXEC_TIMEOUT, "ps", "-o", "pid,args"));
            assertTrue(seenByB.stream().anyMatch(p -> p.startsWith("1 ") && p.contains("trap 'exit 0' TERM")),
                    "the pod's sandbox process is PID 1 of the shared namespace: " + seenByB);
            assertTrue(seenByB.stream().anyMatch(p -> p.endsWith(" sleep 601")), "b sees a's process: " + seenByB);
            assertFalse(seenByB.stream().anyMatch(p -> p.endsWith(" sleep 602")), "c is not in it: " + seenByB);

            List<String> seenByC = processes(pod.exec(c, EXEC_TIMEOUT, "ps", "-o", "pid,args"));
            assertEquals("1 sleep 602", seenByC.getFirst(), "c is PID 1 of its own namespace: " + seenByC);
            assertFalse(seenByC.stream().anyMatch(p -> p.endsWith(" sleep 601") || p.endsWith(" sleep 600")),
                    "c sees none of the pod's other processes: " + seenByC);
        }
    }

    private static ContainerConfig.Builder withPid(ContainerConfig.Builder container, NamespaceMode mode) {
        return container.setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext
                .newBuilder().setNamespaceOptions(NamespaceOption.newBuilder().setPid(mode))));
    }

    /** ps's lines without its header, each as "PID ARGS". */
    private static List<String> processes(ExecSyncResponse ps) {
        assertEquals(0, ps.getExitCode(), ps.getStderr().toStringUtf8());
        return ps.getStdout().toStringUtf8().lines().skip(1).map(String::strip)
                .map(line -> line.replaceAll("\\s+", " ")).toList();
    }
}
