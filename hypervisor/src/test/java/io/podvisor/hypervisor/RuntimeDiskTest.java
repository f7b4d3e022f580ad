package io.podvisor.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeDiskTest {

    @Test
    void autoTakesPmemWhereItCanBeHad() throws Exception {
        RuntimeDisk disk = RuntimeDisk.decide("auto", Optional.empty());
        assertTrue(disk.pmem());
        assertEquals(List.of("podvisor.runtime_disk=pmem", "swiotlb=noforce"), disk.kernelArgs());
    }

    @Test
    void autoFallsBackToVirtioBlkAndSaysWhy() throws Exception {
        RuntimeDisk disk = RuntimeDisk.decide("auto", Optional.of("QEMU at /usr/bin/qemu has no virtio-pmem-pci device"));
        assertEquals(RuntimeDisk.Transport.VIRTIO_BLK, disk.transport());
        assertTrue(disk.toString().startsWith("virtio-blk: QEMU at /usr/bin/qemu has no virtio-pmem-pci device;"),
                disk.toString());
        assertEquals(List.of(), disk.kernelArgs());
    }

    @Test
    void pmemThatCannotBeHadIsAnErrorNamingTheFix() {
        VmmException e = assertThrows(VmmException.class,
                () -> RuntimeDisk.decide("pmem", Optional.of("QEMU at /q has no virtio-pmem-pci device")));
        assertEquals("runtime_disk = \"pmem\" cannot be had: QEMU at /q has no virtio-pmem-pci device; set"
                + " runtime_disk = \"auto\" to fall back to virtio-blk", e.getMessage());
    }

    @Test
    void virtioBlkIsTakenWhenAsked() throws Exception {
        assertEquals(RuntimeDisk.Transport.VIRTIO_BLK, RuntimeDisk.decide("virtio-blk", Optional.empty()).transport());
    }

    @Test
    void anImageNotPaddedToWholePmemPagesCannotBePmem(@TempDir Path dir) throws Exception {
        assertEquals(Optional.empty(), RuntimeDisk.imageProblem(image(dir, 4L << 20)));
        Optional<String> problem = RuntimeDisk.imageProblem(image(dir, (4L << 20) + 4096));
        assertTrue(problem.orElseThrow().contains("not a whole number of 2 MiB pages")
                && problem.get().contains("rootfs-builder/build.sh"), problem.get());
    }

    private static GuestImage image(Path dir, long diskBytes) throws Exception {
        Path disk = dir.resolve("runtime.erofs");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(diskBytes);
        }
        return new GuestImage(dir.resolve("vmlinux"), dir.resolve("initramfs.cpio"), disk, "0.1.0");
    }
}
