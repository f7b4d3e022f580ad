package io.podvisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.AgentException;
import io.podvisor.shim.agent.GuestAgent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Bad input and broken guests: each a clear error naming the thing, nothing left running. */
@Timeout(300)
class VmFailureTest {
    @TempDir
    Path tmp;

    @Test
    void missingKernelNamesTheFileAndTheFix() throws Exception {
        Path image = imageCopy("0.1.0-unused");
        Files.delete(image.resolve("vmlinux"));
        Files.writeString(image.resolve("image.json"), manifestWithVersion(realVersion()));
        PodvisorCommand.Result r = PodvisorCommand.run(configPointingAt(image), "vm", "run", "--", "true");
        assertEquals(125, r.exitCode());
        assertTrue(r.stderr().contains(image.resolve("vmlinux").toString()), r.stderr());
        assertTrue(r.stderr().contains("rootfs-builder/build.sh"), r.stderr());
    }

    @Test
    void imageBuiltForAnotherAgentVersionIsRefused() throws Exception {
        Path image = imageCopy("9.9.9-other");
        PodvisorCommand.Result r = PodvisorCommand.run(configPointingAt(image), "vm", "run", "--", "true");
        assertEquals(125, r.exitCode());
        assertTrue(r.stderr().contains("9.9.9-other"), r.stderr());
        assertTrue(r.stderr().contains("rebuild"), r.stderr());
    }

    @Test
    void guestThatNeverAnswersFailsInBoundedTimeWithTheConsoleTail() throws Exception {
        // The kernel runs `sleep 3600` instead of the init that starts the agent.
        try (Vmm vm = TestVms.create("silent-guest", tmp.resolve("run"), List.of("rdinit=/bin/sleep", "--", "3600"))) {
            long start = System.nanoTime();
            VmmException e = assertThrows(VmmException.class, () -> GuestAgent.boot(vm, Duration.ofSeconds(20)));
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(60).toNanos(), "wait was not bounded");
            assertTrue(e.getMessage().contains("silent-guest"), e.getMessage());
            assertTrue(e.getMessage().contains("did not announce itself within 20 s"), e.getMessage());
            assertTrue(e.getMessage().contains(vm.consoleLog().toString()), e.getMessage());
            assertTrue(Pattern.compile("\\[\\s*\\d+\\.\\d+\\] ").matcher(e.getMessage()).find(),
                    "kernel console lines missing: " + e.getMessage());
        }
    }

    @Test
    void vmmKilledWhileTheGuestBootsIsNamedWithItsSignal() throws Exception {
        // The guest never starts its agent, so the wait is still on when QEMU is killed.
        try (Vmm vm = TestVms.create("killed-guest", tmp.resolve("run"), List.of("rdinit=/bin/sleep", "--", "3600"))) {
            CompletableFuture<VmmException> boot = CompletableFuture.supplyAsync(
                    () -> assertThrows(VmmException.class, () -> GuestAgent.boot(vm, Duration.ofSeconds(120))));
            while (vm.hostProcesses().isEmpty()) {
                Thread.sleep(50);
            }
            vm.hostProcesses().getFirst().destroyForcibly();
            String message = boot.get(60, TimeUnit.SECONDS).getMessage();
            assertTrue(message.contains("killed-guest stopped before its guest agent was ready"), message);
            assertTrue(message.contains("qemu was killed by signal 9"), message);
        }
    }

    @Test
    void vmThatDiesDuringACallGivesAClearErrorPromptly() throws Exception {
        try (Vmm vm = TestVms.create("dying-guest", tmp.resolve("run"), List.of());
             AgentClient agent = GuestAgent.boot(vm, TestVms.config().agentReadyTimeout())) {
            ProcessStart sleep = ProcessStart.newBuilder().addArgs("sleep").addArgs("600").build();
            CompletableFuture<Void> call = CompletableFuture.runAsync(() -> {
                try {
                    agent.run(sleep, new ByteArrayInputStream(new byte[0]),
                            new ByteArrayOutputStream(), new ByteArrayOutputStream());
                } catch (AgentException e) {
                    throw new RuntimeException(e);
                }
            });
            vm.hostProcesses().forEach(ProcessHandle::destroyForcibly);
            Throwable failure = assertThrows(Exception.class, () -> call.get(60, TimeUnit.SECONDS)).getCause();
            assertTrue(failure.getCause() instanceof AgentException, String.valueOf(failure));
            assertTrue(failure.getMessage().contains("dying-guest"), failure.getMessage());
        }
    }

    /** A copy of the built image (symlinked files) whose manifest names {@code version}. */
    private Path imageCopy(String version) throws Exception {
        GuestImage real = TestVms.image();
        Path dir = Files.createDirectories(tmp.resolve("image"));
        Files.createSymbolicLink(dir.resolve("vmlinux"), real.kernel());
        Files.createSymbolicLink(dir.resolve(real.initramfs().getFileName()), real.initramfs());
        Files.createSymbolicLink(dir.resolve("runtime.erofs"), real.runtimeDisk());
        Files.writeString(dir.resolve("image.json"), manifestWithVersion(version));
        return dir;
    }

    private static String realVersion() throws Exception {
        return TestVms.image().agentVersion();
    }

    private static String manifestWithVersion(String version) {
        return "{\"agentVersion\": \"" + version + "\"}\n";
    }

    private Map<String, String> configPointingAt(Path image) throws Exception {
        Path config = tmp.resolve("config.toml");
        Files.writeString(config, "image_dir = \"" + image + "\"\n");
        return Map.of("PODVISOR_CONFIG", config.toString());
    }
}
