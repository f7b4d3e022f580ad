package io.podvisor.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.Acceleration;
import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.RuntimeDisk;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuCommandLineTest {
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    private static final GuestImage IMAGE = new GuestImage(Path.of("/img/vmlinux"), Path.of("/img/initramfs.cpio"),
            Path.of("/img/runtime.erofs"), "0.1.0");
    private static final Acceleration TCG = new Acceleration(Acceleration.Mode.TCG, "test");
    private static final Acceleration KVM = new Acceleration(Acceleration.Mode.KVM, "test");

    private static VmSpec spec(Path runDir, List<VmSpec.FsShare> shares, List<VmSpec.NetDevice> nets, Path netns) {
        return new VmSpec("pod-1", IMAGE, 2, 256, runDir, shares, nets, netns, 7, List.of("podvisor.debug=1"));
    }

    private static final RuntimeDisk VIRTIO_BLK = new RuntimeDisk(RuntimeDisk.Transport.VIRTIO_BLK, "test");
    private static final RuntimeDisk PMEM = new RuntimeDisk(RuntimeDisk.Transport.PMEM, "test");

    private static List<String> argv(VmSpec spec, Acceleration accel) throws VmmException {
        return QemuCommandLine.build(QEMU, spec, accel, 2_095_996, QemuFiles.of(spec), VIRTIO_BLK, List.of());
    }

    private static final List<String> SIMPLE_TCG = List.of(
            "/usr/bin/qemu-system-x86_64",
            "-name", "pod-1,debug-threads=on",
            "-M", "microvm,x-option-roms=off,pit=off,pic=off,rtc=on,isa-serial=on,memory-backend=mem",
            "-accel", "tcg,tb-size=64", "-cpu", "max",
            "-smp", "2",
            "-m", "256M",
            "-object", "memory-backend-memfd,id=mem,size=256M,share=on",
            "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
            "-sandbox", "on,obsolete=deny,spawn=deny,resourcecontrol=deny",
            "-msg", "timestamp=on",
            "-pidfile", "/run/pv/pod-1/qemu.pid",
            "-chardev", "socket,id=qmp,path=/run/pv/pod-1/qmp.sock,server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            "-chardev", "file,id=console,path=/run/pv/pod-1/console.log", "-serial", "chardev:console",
            "-kernel", "/img/vmlinux",
            "-initrd", "/img/initramfs.cpio",
            "-append", "console=ttyS0 panic=-1 oops=panic loglevel=6 cryptomgr.notests reboot=t tsc_early_khz=2095996 tsc=reliable lpj=8383984 podvisor.debug=1",
            "-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=/img/runtime.erofs,format=raw,if=none,id=runtime,readonly=on",
            "-device", "virtio-blk-device,drive=runtime",
            "-chardev", "socket,id=vsock,path=/run/pv/pod-1/vhost-vsock.sock",
            "-device", "vhost-user-vsock-device,chardev=vsock",
            "-device", "virtio-balloon-device,free-page-reporting=on");

    @Test
    void plainVmUnderTcg() throws Exception {
        assertEquals(SIMPLE_TCG, argv(spec(Path.of("/run/pv/pod-1"), List.of(), List.of(), null), TCG));
    }

    @Test
    void kvmUsesTheHostCpuAndNeedsNoTscHints() throws Exception {
        List<String> a = argv(spec(Path.of("/run/pv/pod-1"), List.of(), List.of(), null), KVM);
        List<String> expected = new ArrayList<>(SIMPLE_TCG);
        expected.set(expected.indexOf("tcg,tb-size=64"), "kvm");
        expected.set(expected.indexOf("max"), "host");
        expected.set(expected.indexOf("-append") + 1, "console=ttyS0 panic=-1 oops=panic loglevel=6 cryptomgr.notests reboot=t podvisor.debug=1");
        assertEquals(expected, a);
    }

    @Test
    void sharesAndNetsFollowTheVsockDeviceInOrder() throws Exception {
        VmSpec spec = spec(Path.of("/run/pv/pod-1"),
                List.of(new VmSpec.FsShare("pod", Path.of("/run/pv/pod-1/fs.sock")),
                        new VmSpec.FsShare("extra", Path.of("/run/pv/pod-1/fs2.sock"))),
                List.of(new VmSpec.NetDevice("tap0_kata", "02:42:ac:11:00:02")),
                Path.of("/var/run/netns/cni-1"));
        List<String> a = argv(spec, TCG);
        // The network namespace is entered by the launcher, not named on QEMU's command line.
        assertEquals(SIMPLE_TCG, a.subList(0, SIMPLE_TCG.size()));
        assertEquals(List.of(
                "-chardev", "socket,id=fs0,path=/run/pv/pod-1/fs.sock",
                "-device", "vhost-user-fs-device,chardev=fs0,tag=pod",
                "-chardev", "socket,id=fs1,path=/run/pv/pod-1/fs2.sock",
                "-device", "vhost-user-fs-device,chardev=fs1,tag=extra",
                "-netdev", "tap,id=net0,ifname=tap0_kata,script=no,downscript=no",
                "-device", "virtio-net-device,netdev=net0,mac=02:42:ac:11:00:02"), a.subList(SIMPLE_TCG.size(), a.size()));
    }

    @Test
    void pmemRuntimeDiskTakesAQ35MachineWithPciDevices(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("runtime.erofs");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(6L << 20);
        }
        GuestImage image = new GuestImage(IMAGE.kernel(), IMAGE.initramfs(), disk, "0.1.0");
        VmSpec spec = new VmSpec("pod-1", image, 2, 256, Path.of("/run/pv/pod-1"),
                List.of(new VmSpec.FsShare("pod", Path.of("/run/pv/pod-1/fs.sock"))),
                List.of(new VmSpec.NetDevice("tap0", "02:42:ac:11:00:02")), null, 7, List.of());

        List<String> a = QemuCommandLine.build(QEMU, spec, TCG, 2_095_996, QemuFiles.of(spec), PMEM, List.of());

        assertEquals("q35,vmport=off,smbus=off,sata=off,hpet=off,memory-backend=mem", a.get(a.indexOf("-M") + 1));
        assertEquals("256M,slots=1,maxmem=262M", a.get(a.indexOf("-m") + 1));
        assertTrue(a.contains("memory-backend-file,id=runtime,mem-path=" + disk + ",size=" + (6L << 20)
                + ",share=on,readonly=on"), a.toString());
        assertTrue(a.contains("virtio-pmem-pci,memdev=runtime"), a.toString());
        assertTrue(a.get(a.indexOf("-append") + 1).endsWith(" podvisor.runtime_disk=pmem swiotlb=noforce"), a.toString());
        assertTrue(a.contains("vhost-user-vsock-pci-non-transitional,chardev=vsock"), a.toString());
        assertTrue(a.contains("vhost-user-fs-pci,chardev=fs0,tag=pod"), a.toString());
        assertTrue(a.contains("virtio-net-pci-non-transitional,netdev=net0,mac=02:42:ac:11:00:02"), a.toString());
        assertTrue(a.contains("virtio-balloon-pci-non-transitional,free-page-reporting=on"), a.toString());
        assertTrue(a.stream().noneMatch(arg -> arg.contains("mmio") || arg.contains("-device,") || arg.contains("-drive")),
                "no virtio-mmio device or block drive on q35: " + a);
    }

    @Test
    void commasInPathsAreDoubledForQemusOptionParser() throws Exception {
        List<String> a = argv(spec(Path.of("/run/a,b"), List.of(), List.of(), null), TCG);
        assertTrue(a.contains("socket,id=qmp,path=/run/a,,b/qmp.sock,server=on,wait=off"), a.toString());
    }

    @Test
    void malformedMacIsRefusedNamingTheVm() {
        VmSpec spec = spec(Path.of("/run/pv/pod-1"), List.of(), List.of(new VmSpec.NetDevice("tap0", "02:42:ac:11:00")), null);
        VmmException e = assertThrows(VmmException.class, () -> argv(spec, TCG));
        assertTrue(e.getMessage().startsWith("VM pod-1: MAC address \"02:42:ac:11:00\""), e.getMessage());
    }

    @Test
    void tapNameQemuCannotTakeIsRefused() {
        VmSpec spec = spec(Path.of("/run/pv/pod-1"), List.of(),
                List.of(new VmSpec.NetDevice("tap0,script=/evil", "02:42:ac:11:00:02")), null);
        VmmException e = assertThrows(VmmException.class, () -> argv(spec, TCG));
        assertTrue(e.getMessage().contains("TAP device name"), e.getMessage());
    }

    @Test
    void jailArgumentsComeLast(@TempDir Path runDir) throws Exception {
        List<String> jail = List.of("-runas", "1879048199:1879048199", "-chroot", "/run/podvisor/vmm/root");
        List<String> a = QemuCommandLine.build(QEMU, spec(runDir, List.of(), List.of(), null), TCG, 2_095_996,
                QemuFiles.of(spec(runDir, List.of(), List.of(), null)), VIRTIO_BLK, jail);
        assertEquals(jail, a.subList(a.size() - 4, a.size()));
    }
}
