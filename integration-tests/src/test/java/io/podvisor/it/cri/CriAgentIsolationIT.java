package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.LinuxContainerConfig;
import io.podvisor.proto.cri.v1.LinuxContainerSecurityContext;
import io.podvisor.proto.cri.v1.Mount;
import io.podvisor.proto.cri.v1.SecurityProfile;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * From inside a pod's containers, the guest agent is out of reach: no vsock socket can be made (its channel to
 * the host), its files and its process are not visible, so neither are its namespaces. Tried from a container
 * without a seccomp profile and from one with containerd's RuntimeDefault profile, with a static probe built here.
 */
@Timeout(400)
class CriAgentIsolationIT {
    @RegisterExtension
    static final CriTestBedExtension BED = CriTestBedExtension.withPodvisor();

    @TempDir
    static Path tmp;

    @Test
    void aContainerCannotReachTheAgent() throws Exception {
        Path probeDir = Files.createDirectories(tmp.resolve("probe"));
        Path source = probeDir.resolve("vsock-probe.c");
        try (InputStream in = CriAgentIsolationIT.class.getResourceAsStream("/vsock-probe.c")) {
            Files.write(source, in.readAllBytes());
        }
        Process cc = new ProcessBuilder("cc", "-static", "-O2", "-o", probeDir.resolve("vsock-probe").toString(),
                source.toString()).redirectErrorStream(true).start();
        String ccOutput = new String(cc.getInputStream().readAllBytes());
        assertEquals(0, cc.waitFor(), "building the probe: " + ccOutput);

        try (CriPod pod = CriPod.run(BED.bed().cri(), "isolated", CriTestBed.PODVISOR_HANDLER, BED.bed().logDir("isolated"))) {
            Mount probe = Mount.newBuilder().setHostPath(probeDir.toString()).setContainerPath("/probe").setReadonly(true)
                    .build();
            String plain = pod.startContainer(CriPod.container("plain", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "3600"))
                    .addMounts(probe));
            String confined = pod.startContainer(CriPod.container("confined", CriTestBed.BUSYBOX_IMAGE,
                    List.of("sleep", "3600")).addMounts(probe).setLinux(LinuxContainerConfig.newBuilder()
                    .setSecurityContext(LinuxContainerSecurityContext.newBuilder().setSeccomp(SecurityProfile.newBuilder()
                            .setProfileType(SecurityProfile.ProfileType.RuntimeDefault)))));

            for (String container : List.of(plain, confined)) {
                String vsock = ok(pod, container, "/probe/vsock-probe");
                assertEquals("socket: Operation not permitted\nsocket: Operation not permitted", vsock,
                        "container " + container + " makes no vsock socket");
                // The patterns do not match grep's own command line.
                assertEquals("", ok(pod, container, "sh", "-c",
                        "grep -l -s -e 'io[.]podvisor' -e '/opt/[p]odvisor' /proc/[0-9]*/cmdline; true"),
                        "container " + container + " sees no agent process");
                for (String agentPath : List.of("/opt/podvisor", "/run/podvisor", "/dev/vsock")) {
                    assertNotEquals(0, pod.exec(container, 60, "ls", agentPath).getExitCode(),
                            "container " + container + " sees no " + agentPath);
                }
            }
            String stillWorks = ok(pod, plain, "sh", "-c", "echo reachable > /tmp/f && cat /tmp/f");
            assertEquals("reachable", stillWorks, "the container itself works as before");
        }
    }

    private static String ok(CriPod pod, String container, String... command) {
        ExecSyncResponse response = pod.exec(container, 60, command);
        assertEquals(0, response.getExitCode(), String.join(" ", command) + ": " + response.getStderr().toStringUtf8());
        return response.getStdout().toStringUtf8().strip();
    }
}
