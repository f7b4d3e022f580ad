package io.podvisor.hypervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;

/**
 * How the guest image's read-only runtime disk (Java runtime, agent, crun) reaches the guest, and why.
 *
 * <ul>
 *   <li>{@link Transport#PMEM}: a virtio-pmem device the guest mounts with DAX. The guest reads the host's page
 *       cache in place: the image's pages sit once on the host for every VM and in no guest's RAM.
 *   <li>{@link Transport#VIRTIO_BLK}: a read-only virtio-blk disk; each guest copies what it reads into its own
 *       page cache. The fallback where pmem cannot be had.
 * </ul>
 *
 * @param reason one sentence for {@code podvisor check} and the logs
 */
public record RuntimeDisk(Transport transport, String reason) {

    public enum Transport { PMEM, VIRTIO_BLK }

    /** The values of the config key {@code runtime_disk}. */
    public static final List<String> SETTINGS = List.of("auto", "pmem", "virtio-blk");

    /** A pmem device maps whole 2 MiB pages; rootfs-builder pads the disk to a multiple of this. */
    public static final long PMEM_ALIGNMENT = 2L << 20;

    /**
     * Decides for one VMM and image.
     *
     * @param setting     the config key {@code runtime_disk}: {@code auto}, {@code pmem} or {@code virtio-blk}
     * @param pmemProblem why pmem cannot be used here, if it cannot
     * @throws VmmException when the config asks for pmem and it cannot be had
     */
    public static RuntimeDisk decide(String setting, Optional<String> pmemProblem) throws VmmException {
        switch (setting) {
            case "virtio-blk" -> {
                return new RuntimeDisk(Transport.VIRTIO_BLK, "runtime_disk = \"virtio-blk\" in the config");
            }
            case "pmem", "auto" -> {
                if (pmemProblem.isEmpty()) {
                    return new RuntimeDisk(Transport.PMEM, "virtio-pmem with DAX: one copy in the host's page cache"
                            + " serves every VM");
                }
                if (setting.equals("pmem")) {
                    throw new VmmException("runtime_disk = \"pmem\" cannot be had: " + pmemProblem.get()
                            + "; set runtime_disk = \"auto\" to fall back to virtio-blk");
                }
                return new RuntimeDisk(Transport.VIRTIO_BLK, pmemProblem.get() + "; using virtio-blk (each guest"
                        + " caches the image in its own RAM)");
            }
            default -> throw new VmmException("runtime_disk = \"" + setting + "\" is not known: use one of " + SETTINGS);
        }
    }

    /** Why {@code image}'s runtime disk cannot be mapped as pmem, if it cannot. */
    public static Optional<String> imageProblem(GuestImage image) {
        long size;
        try {
            size = Files.size(image.runtimeDisk());
        } catch (IOException e) {
            return Optional.of("cannot read the size of " + image.runtimeDisk() + ": " + e.getMessage());
        }
        if (size == 0 || size % PMEM_ALIGNMENT != 0) {
            return Optional.of("the runtime disk " + image.runtimeDisk() + " is " + size
                    + " bytes, not a whole number of 2 MiB pages as pmem needs (an image from an older"
                    + " rootfs-builder: rebuild it with rootfs-builder/build.sh)");
        }
        return Optional.empty();
    }

    public boolean pmem() {
        return transport == Transport.PMEM;
    }

    /**
     * What the guest is told on its kernel command line: its init mounts {@code /dev/pmem0} with DAX. The
     * pmem region lies above 4 GiB, which would make the kernel bounce all DMA through a 64 MiB buffer it
     * allocates and touches at boot; virtio devices address all memory, so the bounce buffer is not forced.
     */
    public List<String> kernelArgs() {
        return pmem() ? List.of("podvisor.runtime_disk=pmem", "swiotlb=noforce") : List.of();
    }

    @Override
    public String toString() {
        return (pmem() ? "pmem" : "virtio-blk") + ": " + reason;
    }
}
