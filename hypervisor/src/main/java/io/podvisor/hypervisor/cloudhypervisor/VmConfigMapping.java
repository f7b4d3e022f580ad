package io.podvisor.hypervisor.cloudhypervisor;

import io.podvisor.hypervisor.RuntimeDisk;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmSpec.FsShare;
import io.podvisor.hypervisor.VmSpec.NetDevice;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.BalloonConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.ConsoleConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.CpusConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.DiskConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.FsConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.MemoryConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.NetConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.PayloadConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.PmemConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.VmConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.VmResize;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.VsockConfig;
import java.nio.file.Path;
import java.util.List;

/** Translates the pod's {@link VmSpec} into Cloud Hypervisor's VmConfig and device configs. */
final class VmConfigMapping {
    static final String RUNTIME_DISK_ID = "runtime";
    /** The vhost-user-fs queue shape virtiofsd serves: one request queue of 1024 descriptors. */
    static final int FS_NUM_QUEUES = 1;
    static final int FS_QUEUE_SIZE = 1024;

    private VmConfigMapping() {}

    /**
     * The vm.create body for {@code spec}; {@code cmdline} is the complete kernel command line. The runtime disk is
     * a pmem device or a read-only disk as {@code runtimeDisk} says; the balloon takes nothing from the guest but
     * gives the host back the pages the guest reports free.
     */
    static VmConfig vmConfig(VmSpec spec, String cmdline, RuntimeDisk runtimeDisk) {
        ChFiles files = ChFiles.of(spec);
        String image = absolute(spec.image().runtimeDisk());
        return new VmConfig(
                new PayloadConfig(absolute(spec.image().kernel()), absolute(spec.image().initramfs()), cmdline),
                new CpusConfig(spec.vcpus(), spec.vcpus()),
                new MemoryConfig(spec.memoryMiB() << 20, true),
                runtimeDisk.pmem() ? List.of() : List.of(new DiskConfig(image, true, RUNTIME_DISK_ID)),
                runtimeDisk.pmem() ? List.of(new PmemConfig(image, true, RUNTIME_DISK_ID)) : List.of(),
                new BalloonConfig(0, true),
                spec.shares().stream().map(VmConfigMapping::fs).toList(),
                spec.nets().stream().map(VmConfigMapping::net).toList(),
                new VsockConfig(spec.guestCid(), absolute(files.hybridVsock())),
                new ConsoleConfig("File", absolute(files.console())),
                new ConsoleConfig("Off", null));
    }

    static FsConfig fs(FsShare share) {
        return new FsConfig(share.tag(), absolute(share.vhostUserSocket()), FS_NUM_QUEUES, FS_QUEUE_SIZE);
    }

    /** A NIC Cloud Hypervisor opens by TAP name (it runs in the pod's network namespace). */
    static NetConfig net(NetDevice nic) {
        return new NetConfig(nic.tapName(), nic.mac(), null);
    }

    /**
     * A NIC backed by TAP queue fds the caller passes with the request (SCM_RIGHTS); each fd is
     * one queue pair, so the device has twice as many virtqueues.
     */
    static NetConfig netFromFds(NetDevice nic, int tapFds) {
        return new NetConfig(null, nic.mac(), 2 * tapFds);
    }

    static DiskConfig disk(Path path, boolean readonly, String id) {
        return new DiskConfig(absolute(path), readonly, id);
    }

    static VmResize resize(int vcpus, long memoryMiB) {
        return new VmResize(vcpus, memoryMiB << 20);
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }
}
