package io.podvisor.hypervisor;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One pod VM as the VMM drivers see it, independent of which VMM runs it. Every driver
 * translates exactly this; nothing above the drivers knows which VMM is in use.
 *
 * @param name       the pod (sandbox) id; names the VM in logs and errors
 * @param image      kernel, initramfs and the read-only runtime disk
 * @param vcpus      virtual CPUs
 * @param memoryMiB  guest memory; always shared (memfd) so vhost-user devices can map it
 * @param runDir     directory owned by this VM for its sockets and console log; it must exist
 * @param shares     virtio-fs shares, each served by a vhost-user-fs backend (virtiofsd)
 * @param nets       network devices (TAP devices in the VMM's network namespace)
 * @param netns      network namespace the VMM runs in, or null for the caller's
 * @param guestCid   the guest's vsock context id (3 or more)
 * @param kernelArgs extra kernel command line arguments, appended after the common ones
 */
public record VmSpec(
        String name,
        GuestImage image,
        int vcpus,
        long memoryMiB,
        Path runDir,
        List<FsShare> shares,
        List<NetDevice> nets,
        Path netns,
        long guestCid,
        List<String> kernelArgs) {

    public static final int MIN_MEMORY_MIB = 128;

    public VmSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(runDir, "runDir");
        if (vcpus < 1) {
            throw new IllegalArgumentException("VM " + name + ": vcpus must be at least 1, got " + vcpus);
        }
        if (memoryMiB < MIN_MEMORY_MIB) {
            throw new IllegalArgumentException("VM " + name + ": memory must be at least "
                    + MIN_MEMORY_MIB + " MiB, got " + memoryMiB + " MiB");
        }
        if (guestCid < 3) {
            throw new IllegalArgumentException("VM " + name + ": guest CID must be 3 or more, got " + guestCid);
        }
        shares = List.copyOf(shares);
        nets = List.copyOf(nets);
        kernelArgs = List.copyOf(kernelArgs);
    }

    /** A VM with no shares, no network and the default CID, for throwaway VMs. */
    public static VmSpec simple(String name, GuestImage image, int vcpus, long memoryMiB, Path runDir) {
        return new VmSpec(name, image, vcpus, memoryMiB, runDir, List.of(), List.of(), null, 3, List.of());
    }

    /** The per-VM path of a socket or file inside {@link #runDir}. */
    public Path runFile(String fileName) {
        return runDir.resolve(fileName);
    }

    /** A virtio-fs share: the guest mounts it with {@code mount -t virtiofs TAG DIR}. */
    public record FsShare(String tag, Path vhostUserSocket) {}

    /** A virtio-net device backed by an existing TAP device; the guest NIC gets {@code mac}. */
    public record NetDevice(String tapName, String mac) {}
}
