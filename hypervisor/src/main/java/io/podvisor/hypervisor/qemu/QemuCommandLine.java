package io.podvisor.hypervisor.qemu;

import io.podvisor.hypervisor.Acceleration;
import io.podvisor.hypervisor.KernelCommandLine;
import io.podvisor.hypervisor.RuntimeDisk;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Translates a {@link VmSpec} into the argv of one {@code qemu-system-x86_64}: {@code -M microvm} with
 * virtio-mmio devices where the runtime disk is virtio-blk, {@code -M q35} with virtio-pci devices where it is
 * virtio-pmem (microvm has no region to map a memory device into).
 */
final class QemuCommandLine {

    /**
     * microvm without the legacy devices the guest can do without: no option ROMs, no PIT or
     * PIC (the kernel is told the TSC rate instead), but the RTC, or the guest starts in 1970.
     */
    static final String MICROVM = "microvm,x-option-roms=off,pit=off,pic=off,rtc=on,isa-serial=on";
    /** q35 without the emulated chipset devices the guest does not use. */
    static final String Q35 = "q35,vmport=off,smbus=off,sata=off,hpet=off";

    /**
     * QEMU's seccomp filter: once the devices are set up it may not exec or fork, change its scheduling or use
     * obsolete system calls, so a guest that takes over a device model gets little further. Set*uid stays allowed:
     * QEMU 7.2's filter kills its own {@code -runas} otherwise, and the jail ({@link QemuJail}) drops root for good.
     */
    static final String SANDBOX = "on,obsolete=deny,spawn=deny,resourcecontrol=deny";

    /** The guest kernel's timer frequency (CONFIG_HZ of Debian's kernels), for loops per jiffy. */
    private static final int GUEST_HZ = 250;
    private static final Pattern MAC = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");
    private static final Pattern TAP = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.-]{1,36}");

    private QemuCommandLine() {}

    /** The device model names of one machine type: virtio-mmio on microvm, modern-only virtio-pci on q35. */
    private enum Devices {
        MMIO("virtio-blk-device", "vhost-user-vsock-device", "vhost-user-fs-device", "virtio-net-device",
                "virtio-balloon-device"),
        PCI("virtio-blk-pci-non-transitional", "vhost-user-vsock-pci-non-transitional", "vhost-user-fs-pci",
                "virtio-net-pci-non-transitional", "virtio-balloon-pci-non-transitional");

        final String blk;
        final String vsock;
        final String fs;
        final String net;
        final String balloon;

        Devices(String blk, String vsock, String fs, String net, String balloon) {
            this.blk = blk;
            this.vsock = vsock;
            this.fs = fs;
            this.net = net;
            this.balloon = balloon;
        }
    }

    /** The argv; {@code jailArguments} (from {@link QemuJail}, or none) go last. */
    static List<String> build(Path qemu, VmSpec spec, Acceleration accel, long tscKHz, QemuFiles files,
            RuntimeDisk runtimeDisk, List<String> jailArguments) throws VmmException {
        Devices devices = runtimeDisk.pmem() ? Devices.PCI : Devices.MMIO;
        List<String> a = new ArrayList<>();
        a.add(qemu.toString());
        a.addAll(List.of("-name", escape(spec.name()) + ",debug-threads=on"));
        a.addAll(List.of("-M", (runtimeDisk.pmem() ? Q35 : MICROVM) + ",memory-backend=mem"));
        if (accel.kvm()) {
            a.addAll(List.of("-accel", "kvm", "-cpu", "host"));
        } else {
            // A 64 MiB translation cache runs as fast as the 1 GiB default for a third of the RSS.
            a.addAll(List.of("-accel", "tcg,tb-size=64", "-cpu", "max"));
        }
        a.addAll(List.of("-smp", Integer.toString(spec.vcpus())));
        String mem = spec.memoryMiB() + "M";
        long diskBytes = runtimeDisk.pmem() ? size(spec) : 0;
        // A memory device (the pmem) needs a slot and room above the guest's RAM.
        a.addAll(List.of("-m", runtimeDisk.pmem()
                ? mem + ",slots=1,maxmem=" + (spec.memoryMiB() + (diskBytes >> 20)) + "M" : mem));
        // Shared memory, so vhost-user backends (vsock, virtiofsd) can map the guest's RAM.
        a.addAll(List.of("-object", "memory-backend-memfd,id=mem,size=" + mem + ",share=on"));
        a.addAll(List.of("-nodefaults", "-no-user-config", "-nographic", "-no-reboot"));
        a.addAll(List.of("-sandbox", SANDBOX));
        a.addAll(List.of("-msg", "timestamp=on"));
        a.addAll(List.of("-pidfile", files.pidFile().toString()));
        a.addAll(List.of("-chardev", "socket,id=qmp,path=" + escape(files.qmp()) + ",server=on,wait=off",
                "-mon", "chardev=qmp,mode=control"));
        a.addAll(List.of("-chardev", "file,id=console,path=" + escape(files.console()), "-serial", "chardev:console"));
        List<String> kernelArgs = new ArrayList<>(kernelArgs(accel, tscKHz));
        kernelArgs.addAll(runtimeDisk.kernelArgs());
        a.addAll(List.of("-kernel", spec.image().kernel().toString(),
                "-initrd", spec.image().initramfs().toString(),
                "-append", KernelCommandLine.build(spec, kernelArgs)));
        if (runtimeDisk.pmem()) {
            // Mapped shared and read-only: every VM maps the same page-cache pages of the image file.
            a.addAll(List.of("-object", "memory-backend-file,id=runtime,mem-path=" + escape(spec.image().runtimeDisk())
                            + ",size=" + diskBytes + ",share=on,readonly=on",
                    "-device", "virtio-pmem-pci,memdev=runtime"));
        } else {
            // vhost-user backends (libvhost-user, ours) speak modern virtio only.
            a.addAll(List.of("-global", "virtio-mmio.force-legacy=false"));
            a.addAll(List.of("-drive", "file=" + escape(spec.image().runtimeDisk())
                            + ",format=raw,if=none,id=runtime,readonly=on",
                    "-device", devices.blk + ",drive=runtime"));
        }
        a.addAll(List.of("-chardev", "socket,id=vsock,path=" + escape(files.vhostUserVsock()),
                "-device", devices.vsock + ",chardev=vsock"));
        // Pages the guest frees go back to the host (the guest reports them; QEMU discards them).
        a.addAll(List.of("-device", devices.balloon + ",free-page-reporting=on"));
        for (int i = 0; i < spec.shares().size(); i++) {
            VmSpec.FsShare share = spec.shares().get(i);
            require(TAG.matcher(share.tag()).matches(), spec, "virtio-fs tag \"" + share.tag()
                    + "\" must be 1-36 letters, digits, '.', '_' or '-'");
            a.addAll(List.of("-chardev", "socket,id=fs" + i + ",path=" + escape(share.vhostUserSocket()),
                    "-device", devices.fs + ",chardev=fs" + i + ",tag=" + share.tag()));
        }
        for (int i = 0; i < spec.nets().size(); i++) {
            VmSpec.NetDevice net = spec.nets().get(i);
            require(TAP.matcher(net.tapName()).matches(), spec, "TAP device name \"" + net.tapName()
                    + "\" must be 1-15 letters, digits, '.', '_' or '-'");
            require(MAC.matcher(net.mac()).matches(), spec, "MAC address \"" + net.mac()
                    + "\" must look like 02:00:00:00:00:01");
            a.addAll(List.of("-netdev", "tap,id=net" + i + ",ifname=" + net.tapName() + ",script=no,downscript=no",
                    "-device", devices.net + ",netdev=net" + i + ",mac=" + net.mac()));
        }
        a.addAll(jailArguments);
        return a;
    }

    private static long size(VmSpec spec) throws VmmException {
        try {
            return Files.size(spec.image().runtimeDisk());
        } catch (IOException e) {
            throw new VmmException("VM " + spec.name() + ": cannot read the size of the runtime disk "
                    + spec.image().runtimeDisk() + ": " + e.getMessage(), e);
        }
    }

    /**
     * What this driver adds to the kernel command line: reset by triple fault (microvm has no
     * keyboard controller to reset through; QEMU then exits because of -no-reboot). Under TCG
     * also the TSC rate (nothing to calibrate it against: without it boots hang), trust in the
     * TSC (else the guest falls back to a 4 ms jiffies clock) and the delay-loop constant, which
     * a secondary vCPU otherwise measures for up to a second on a busy host.
     */
    static List<String> kernelArgs(Acceleration accel, long tscKHz) {
        if (accel.kvm()) {
            return List.of("reboot=t");
        }
        return List.of("reboot=t", "tsc_early_khz=" + tscKHz, "tsc=reliable", "lpj=" + tscKHz * 1000 / GUEST_HZ);
    }

    /** QEMU option values use "," as separator; a literal comma is written twice. */
    static String escape(Object value) {
        return value.toString().replace(",", ",,");
    }

    private static void require(boolean ok, VmSpec spec, String what) throws VmmException {
        if (!ok) {
            throw new VmmException("VM " + spec.name() + ": " + what);
        }
    }
}
