package io.podvisor.hypervisor.cloudhypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmState;
import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VM lifecycle against a stand-in cloud-hypervisor process (a JVM serving the documented
 * API): process start, API socket wait, create, boot, state, stop, cleanup and failure reports.
 */
class CloudHypervisorVmTest {
    @TempDir
    Path dir;

    private Path fakeBinary(String extraShell) throws IOException {
        Path script = dir.resolve("cloud-hypervisor");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(script, "#!/bin/sh\n" + extraShell + "\nexec '" + java + "' -XX:TieredStopAtLevel=1 -cp '"
                + System.getProperty("java.class.path") + "' " + FakeCloudHypervisorMain.class.getName() + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private VmSpec pod(String name) throws IOException {
        Path runDir = Files.createDirectories(dir.resolve(name));
        Path imageDir = Files.createDirectories(dir.resolve("image"));
        GuestImage image = new GuestImage(Files.writeString(imageDir.resolve("vmlinux"), "kernel"),
                Files.writeString(imageDir.resolve("initramfs.cpio"), "initramfs"),
                Files.writeString(imageDir.resolve("runtime.erofs"), "disk"), "0.1.0");
        VmSpec shape = PodShapes.pod(name, 2, 512, 1, 0);
        return new VmSpec(name, image, shape.vcpus(), shape.memoryMiB(), runDir, shape.shares(), List.of(),
                null, shape.guestCid(), shape.kernelArgs());
    }

    @Test
    void lifecycleDrivesTheDocumentedCallsAndCleansUp() throws Exception {
        VmSpec spec = pod("pod-life");
        CloudHypervisorVm vm = new CloudHypervisor(fakeBinary(""), "auto").create(spec);
        try {
            assertEquals("54.0", vm.vmmVersion());
            assertEquals(1, vm.hostProcesses().size());
            assertTrue(Files.exists(spec.runFile("ch-api.sock")));
            vm.boot();
            assertEquals(VmState.RUNNING, vm.state());
            assertEquals(99L, vm.counters().get("_net1").get("rx_bytes"));
            assertEquals(spec.runFile("vsock.sock"), vm.vsockSocket());
            assertEquals(spec.runFile("console.log"), vm.consoleLog());
            ProcessHandle vmm = vm.hostProcesses().getFirst();
            vm.stop(Duration.ofSeconds(20));
            assertFalse(vmm.isAlive());
            assertEquals(VmState.SHUTDOWN, vm.state());
            assertEquals(List.of(), vm.hostProcesses());
        } finally {
            vm.close();
        }
        assertFalse(Files.exists(spec.runFile("ch-api.sock")));
        List<String> log = Files.readAllLines(vm.vmmLog());
        assertTrue(log.contains("argv: --api-socket path=" + spec.runFile("ch-api.sock") + " --seccomp true -v"),
                log.toString());
        String created = new ObjectMapper().readTree(new CloudHypervisor(fakeBinary(""), "auto").vmCreateBody(spec)).toString();
        assertEquals(List.of(
                        "request: GET /api/v1/vmm.ping",
                        "request: PUT /api/v1/vm.create " + created,
                        "request: PUT /api/v1/vm.boot",
                        "request: GET /api/v1/vm.info",
                        "request: GET /api/v1/vm.counters",
                        "request: PUT /api/v1/vm.shutdown",
                        "request: PUT /api/v1/vmm.shutdown"),
                log.stream().filter(l -> l.startsWith("request: ")).toList());
    }

    @Test
    void refusedVmCreateIsReportedAndLeavesNoProcessBehind() throws Exception {
        VmSpec spec = pod("pod-refused");
        VmmException e = assertThrows(VmmException.class,
                () -> new CloudHypervisor(fakeBinary("export FAKE_CH_FAIL=vm.create"), "auto").create(spec));
        assertTrue(e.getMessage().startsWith("cloud-hypervisor: vm.create for pod pod-refused failed: 500 Internal"
                + " Server Error: Error from API: fake failure of vm.create"), e.getMessage());
        assertEquals(List.of(), processesMentioning(spec.runDir().toString()));
        assertFalse(Files.exists(spec.runFile("ch-api.sock")));
    }

    @Test
    void vmmThatDiesAtStartIsReportedWithItsLog() throws Exception {
        VmSpec spec = pod("pod-dies");
        Path script = dir.resolve("broken-cloud-hypervisor");
        Files.writeString(script, "#!/bin/sh\necho 'Error: Failed to open hypervisor interface' >&2\nexit 1\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        VmmException e = assertThrows(VmmException.class, () -> new CloudHypervisor(script, "auto").create(spec));
        assertTrue(e.getMessage().contains("exited with status 1"), e.getMessage());
        assertTrue(e.getMessage().contains("Failed to open hypervisor interface"), e.getMessage());
        assertTrue(e.getMessage().contains("pod-dies"), e.getMessage());
    }

    @Test
    void vmmThatDoesNotExitIsKilledWhenTheGraceIsOver() throws Exception {
        VmSpec spec = pod("pod-wedged");
        try (CloudHypervisorVm vm = new CloudHypervisor(fakeBinary("export FAKE_CH_HANG=1"), "auto").create(spec)) {
            ProcessHandle vmm = vm.hostProcesses().getFirst();
            long start = System.nanoTime();
            vm.stop(Duration.ofSeconds(1));
            assertFalse(vmm.isAlive());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(8).toNanos(), "stop overran its grace");
            assertEquals(VmState.SHUTDOWN, vm.state());
        }
    }

    @Test
    void closeWithoutStopKillsTheVmmAndRemovesItsSockets() throws Exception {
        VmSpec spec = pod("pod-close");
        CloudHypervisorVm vm = new CloudHypervisor(fakeBinary(""), "auto").create(spec);
        ProcessHandle vmm = vm.hostProcesses().getFirst();
        vm.close();
        assertFalse(vmm.isAlive());
        assertFalse(Files.exists(spec.runFile("ch-api.sock")));
        assertTrue(Files.exists(vm.vmmLog()), "the log stays for the post-mortem");
        VmmException e = assertThrows(VmmException.class, vm::boot);
        assertTrue(e.getMessage().contains("pod-close is closed"), e.getMessage());
    }

    @Test
    void missingBinaryIsNamedWithTheFix() throws IOException {
        VmSpec spec = pod("pod-nobin");
        VmmException e = assertThrows(VmmException.class,
                () -> new CloudHypervisor(dir.resolve("none/cloud-hypervisor"), "auto").create(spec));
        assertEquals("VM pod-nobin: Cloud Hypervisor is not installed at " + dir.resolve("none/cloud-hypervisor")
                + ": install its static binary there (or set cloud_hypervisor_path in /etc/podvisor/config.toml)",
                e.getMessage());
    }

    @Test
    void missingGuestImageFileIsNamed() throws IOException {
        VmSpec good = pod("pod-noimage");
        Path missing = dir.resolve("image/vmlinux-gone");
        VmSpec spec = new VmSpec(good.name(), new GuestImage(missing, good.image().initramfs(),
                good.image().runtimeDisk(), "0.1.0"), 1, 128, good.runDir(), List.of(), List.of(), null, 3, List.of());
        VmmException e = assertThrows(VmmException.class, () -> new CloudHypervisor(fakeBinary(""), "auto").create(spec));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void runDirectoryTooDeepForAUnixSocketIsRefusedBeforeStarting() throws IOException {
        VmSpec good = pod("pod-deep");
        Path deep = Files.createDirectories(dir.resolve("d".repeat(60)).resolve("e".repeat(40)));
        VmSpec spec = new VmSpec(good.name(), good.image(), 1, 128, deep, List.of(), List.of(), null, 3, List.of());
        VmmException e = assertThrows(VmmException.class, () -> new CloudHypervisor(fakeBinary(""), "auto").create(spec));
        assertTrue(e.getMessage().contains("too long for a unix socket"), e.getMessage());
        assertEquals(List.of(), processesMentioning(deep.toString()));
    }

    private static List<ProcessHandle> processesMentioning(String text) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(text)).orElse(false))
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .toList();
    }
}
