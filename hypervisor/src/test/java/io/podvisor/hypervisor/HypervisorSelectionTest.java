package io.podvisor.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HypervisorSelectionTest {
    private static final Acceleration KVM = new Acceleration(Acceleration.Mode.KVM,
            "/dev/kvm opens and a test guest booted under it");
    private static final Acceleration NO_KVM = new Acceleration(Acceleration.Mode.TCG,
            "/dev/kvm opens but a test guest did not boot under it (timeout); using TCG emulation");
    private static final Supplier<Acceleration> NOT_ASKED = () -> {
        throw new AssertionError("KVM was probed though Cloud Hypervisor is not a candidate");
    };

    @TempDir
    Path dir;

    private Path executable(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void autoPrefersCloudHypervisorWhenItsBinaryIsThereAndKvmBoots() throws IOException {
        Path ch = executable(dir.resolve("bin/cloud-hypervisor"));
        HypervisorSelection s = HypervisorSelection.select("auto", ch, "", () -> KVM);
        assertEquals("cloud-hypervisor", s.hypervisor());
        assertEquals(ch, s.cloudHypervisorBinary());
        assertTrue(s.usable());
        assertEquals("hypervisor = \"auto\": " + ch + " is present and KVM can boot the guest"
                + " (/dev/kvm opens and a test guest booted under it)", s.reason());
    }

    @Test
    void autoFallsBackToQemuWithoutTheBinaryAndDoesNotProbeKvm() {
        HypervisorSelection s = HypervisorSelection.select("auto", dir.resolve("none"), dir.toString(), NOT_ASKED);
        assertEquals("qemu", s.hypervisor());
        assertNull(s.cloudHypervisorBinary());
        assertTrue(s.usable());
        assertEquals("hypervisor = \"auto\": no cloud-hypervisor binary at " + dir.resolve("none")
                + " nor on PATH, so QEMU", s.reason());
    }

    @Test
    void autoFallsBackToQemuWhenKvmCannotBootTheGuest() throws IOException {
        Path ch = executable(dir.resolve("cloud-hypervisor"));
        HypervisorSelection s = HypervisorSelection.select("auto", ch, "", () -> NO_KVM);
        assertEquals("qemu", s.hypervisor());
        assertTrue(s.usable());
        assertTrue(s.reason().contains(ch + " is present but KVM cannot boot the guest here (/dev/kvm opens but"),
                s.reason());
    }

    @Test
    void binaryIsFoundOnPathWhenTheConfiguredPathHasNone() throws IOException {
        Path onPath = executable(dir.resolve("b/cloud-hypervisor"));
        HypervisorSelection s = HypervisorSelection.select("auto", dir.resolve("missing/cloud-hypervisor"),
                dir.resolve("a") + "::" + dir.resolve("b"), () -> KVM);
        assertEquals(onPath, s.cloudHypervisorBinary());
    }

    @Test
    void aFileThatIsNotExecutableIsNoBinary() throws IOException {
        Path plain = dir.resolve("cloud-hypervisor");
        Files.writeString(plain, "not a program");
        assertEquals("qemu", HypervisorSelection.select("auto", plain, dir.toString(), NOT_ASKED).hypervisor());
    }

    @Test
    void explicitQemuNeedsNothing() {
        HypervisorSelection s = HypervisorSelection.select("qemu", dir.resolve("none"), "", NOT_ASKED);
        assertEquals("qemu", s.hypervisor());
        assertEquals("hypervisor = \"qemu\" in the config", s.reason());
    }

    @Test
    void explicitCloudHypervisorWithoutBinaryIsAProblemThatSaysWhatToDo() {
        HypervisorSelection s = HypervisorSelection.select("cloud-hypervisor", Path.of("/opt/ch/cloud-hypervisor"),
                dir.toString(), NOT_ASKED);
        assertEquals("cloud-hypervisor", s.hypervisor());
        assertFalse(s.usable());
        VmmException e = assertThrows(VmmException.class, s::requireUsable);
        assertEquals("podvisor: hypervisor = \"cloud-hypervisor\" but no cloud-hypervisor binary at "
                + "/opt/ch/cloud-hypervisor nor on PATH: install Cloud Hypervisor's static binary there, set "
                + "cloud_hypervisor_path, or set hypervisor = \"auto\" to use QEMU", e.getMessage());
    }

    @Test
    void explicitCloudHypervisorWithoutUsableKvmIsAProblem() throws IOException {
        Path ch = executable(dir.resolve("cloud-hypervisor"));
        HypervisorSelection s = HypervisorSelection.select("cloud-hypervisor", ch, "", () -> NO_KVM);
        assertFalse(s.usable());
        assertTrue(s.problem().contains("KVM cannot boot the guest here"), s.problem());
        assertTrue(s.problem().endsWith("Cloud Hypervisor needs KVM; set hypervisor = \"auto\" or \"qemu\""),
                s.problem());
    }

    @Test
    void unknownValueIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HypervisorSelection.select("firecracker", null, "", NOT_ASKED));
        assertTrue(e.getMessage().contains("\"firecracker\" is not known"), e.getMessage());
    }
}
