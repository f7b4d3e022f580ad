package io.podvisor.it.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import io.podvisor.it.HostProcesses;
import io.podvisor.it.containerd.ContainerdRelease;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose podvisor run directory is on a full file system (a 16 MiB tmpfs, filled): RunPodSandbox fails at
 * once with the directory's path and the fix, leaves nothing of the pod, and once space is freed the same node
 * runs a pod.
 */
@Timeout(400)
class CriFullDiskIT {
    @TempDir
    Path tmp;
    private Path runDir;

    @BeforeEach
    void mountSmallRunDir() throws Exception {
        runDir = Files.createDirectories(tmp.resolve("run"));
        run("mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "podvisor-full-disk-test", runDir.toString());
    }

    @AfterEach
    void unmount() throws Exception {
        run("umount", "--lazy", runDir.toString());
    }

    @Test
    void aFullRunDirectoryFailsThePodNamingItAndLeavesNothing() throws Exception {
        Path filler = fill(runDir.resolve("filler"));
        Path config = Files.writeString(tmp.resolve("config.toml"), "run_dir = \"" + runDir + "\"\n");
        String options = "[" + ContainerdRelease.V1_7.runtimesSection() + ".podvisor.options]\n  ConfigPath = \""
                + config + "\"\n";
        try (CriTestBed bed = CriTestBed.start(ContainerdRelease.V1_7, true, options)) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> CriPod.run(bed.cri(), "full-disk-pod", CriTestBed.PODVISOR_HANDLER, bed.logDir("full-disk-pod")));
            String message = refused.getStatus().getDescription();
            assertTrue(message.contains("no space left under the run directory " + runDir), message);
            assertTrue(message.contains("set run_dir"), "the error says the fix: " + message);

            assertEquals(List.of(filler), entries(runDir), "nothing of the pod under the run directory");
            assertEquals(List.of(), HostProcesses.mentioning(runDir.toString()).stream().map(HostProcesses::cmdline).toList());

            Files.delete(filler);
            try (CriPod pod = CriPod.run(bed.cri(), "after-space-freed", CriTestBed.PODVISOR_HANDLER,
                    bed.logDir("after-space-freed"))) {
                String id = pod.startContainer("app", CriTestBed.BUSYBOX_IMAGE, List.of("sleep", "3600"));
                assertEquals("ok", pod.exec(id, 60, "echo", "ok").getStdout().toStringUtf8().strip());
            }
        }
    }

    /** Writes {@code file} until the file system is full. */
    private static Path fill(Path file) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
        return file;
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> !p.equals(dir)).toList();
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + output);
    }
}
