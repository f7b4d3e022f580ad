package io.podvisor.hypervisor.cloudhypervisor;

import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.RuntimeDisk;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmSpec.FsShare;
import io.podvisor.hypervisor.VmSpec.NetDevice;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** Pod VM descriptions of the sizes and device mixes the driver must handle. */
final class PodShapes {
    static final GuestImage IMAGE = new GuestImage(Path.of("/var/cache/podvisor/images/current/vmlinux"),
            Path.of("/var/cache/podvisor/images/current/initramfs.cpio"),
            Path.of("/var/cache/podvisor/images/current/runtime.erofs"), "0.1.0");

    static final RuntimeDisk PMEM = new RuntimeDisk(RuntimeDisk.Transport.PMEM, "test");
    static final RuntimeDisk VIRTIO_BLK = new RuntimeDisk(RuntimeDisk.Transport.VIRTIO_BLK, "test");

    private PodShapes() {}

    static VmSpec pod(String name, int vcpus, long memoryMiB, int shares, int nets) {
        Path runDir = Path.of("/run/podvisor/" + name);
        List<FsShare> fs = IntStream.range(0, shares)
                .mapToObj(i -> new FsShare(i == 0 ? "pod" : "vol" + i, runDir.resolve("virtiofsd-" + i + ".sock")))
                .toList();
        List<NetDevice> nics = IntStream.range(0, nets)
                .mapToObj(i -> new NetDevice("tap" + i, "02:00:00:00:0" + i + ":01"))
                .toList();
        return new VmSpec(name, IMAGE, vcpus, memoryMiB, runDir, fs, nics,
                nets > 0 ? Path.of("/var/run/netns/cni-" + name) : null, 3 + vcpus, List.of("podvisor.debug=1"));
    }

    static Stream<VmSpec> all() {
        return Stream.of(
                pod("smallest", 1, 128, 0, 0),
                pod("no-net-one-share", 1, 256, 1, 0),
                pod("web", 2, 512, 1, 1),
                pod("many-volumes", 4, 2048, 4, 1),
                pod("two-nics", 6, 4096, 2, 2),
                pod("largest", 8, 8192, 6, 1));
    }
}
