package io.podvisor.hypervisor.vsock.virtq;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import io.podvisor.hypervisor.os.MappedFiles;

import static io.podvisor.libc.Libc.LIBC;

/**
 * The guest's RAM as the front-end shared it: regions known by guest physical address and by the
 * front-end's (QEMU's) virtual address. On the JVM the segments come from one shared arena, so after
 * {@link #close()} any stale access fails with an exception instead of touching unmapped memory (see
 * {@link MappedFiles} for a native image, where the device's one thread is what keeps accesses before close).
 */
public final class GuestMemory implements AutoCloseable {

    /** One region as SET_MEM_TABLE describes it. */
    public record RegionSpec(long guestAddress, long size, long userAddress, long mmapOffset) {
    }

    private record Region(long guestAddress, long userAddress, long size, MemorySegment segment) {
    }

    /** Unmaps the regions. */
    private final Runnable release;
    private final List<Region> regions;

    private GuestMemory(Runnable release, List<Region> regions) {
        this.release = release;
        this.regions = regions;
    }

    /** Maps each region's fd (shared, read-write). The fds are closed whatever happens. */
    public static GuestMemory map(List<RegionSpec> specs, int[] fds) throws IOException {
        if (specs.size() != fds.length) {
            for (int fd : fds) {
                LIBC.closeQuietly(fd);
            }
            throw new IOException("SET_MEM_TABLE has " + specs.size() + " regions but " + fds.length + " fds");
        }
        MappedFiles mappings = new MappedFiles();
        List<Region> regions = new ArrayList<>();
        try {
            for (int i = 0; i < specs.size(); i++) {
                RegionSpec spec = specs.get(i);
                MemorySegment whole = mappings.map(fds[i], spec.mmapOffset() + spec.size());
                regions.add(new Region(spec.guestAddress(), spec.userAddress(), spec.size(),
                        whole.asSlice(spec.mmapOffset(), spec.size())));
            }
        } catch (IOException | RuntimeException e) {
            mappings.close();
            throw e;
        } finally {
            for (int fd : fds) {
                LIBC.closeQuietly(fd);
            }
        }
        return new GuestMemory(mappings::close, List.copyOf(regions));
    }

    /** Wraps memory the caller laid out (tests): one region per segment, same guest and user address. */
    static GuestMemory ofSegments(Arena arena, long[] guestAddresses, MemorySegment... segments) {
        List<Region> regions = new ArrayList<>();
        for (int i = 0; i < segments.length; i++) {
            regions.add(new Region(guestAddresses[i], guestAddresses[i], segments[i].byteSize(), segments[i]));
        }
        return new GuestMemory(arena::close, List.copyOf(regions));
    }

    /** The {@code length} bytes at guest physical address {@code gpa}. */
    MemorySegment guest(long gpa, long length) throws VirtqueueException {
        for (Region r : regions) {
            if (Long.compareUnsigned(gpa, r.guestAddress()) >= 0
                    && Long.compareUnsigned(gpa - r.guestAddress(), r.size()) < 0) {
                long offset = gpa - r.guestAddress();
                if (Long.compareUnsigned(length, r.size() - offset) > 0) {
                    break;
                }
                return r.segment().asSlice(offset, length);
            }
        }
        throw new VirtqueueException("guest address 0x" + Long.toHexString(gpa) + "+" + length
                + " is outside the shared memory regions");
    }

    /** The {@code length} bytes at the front-end's virtual address {@code uva} (ring addresses). */
    public MemorySegment user(long uva, long length) throws VirtqueueException {
        for (Region r : regions) {
            if (Long.compareUnsigned(uva, r.userAddress()) >= 0
                    && Long.compareUnsigned(uva - r.userAddress(), r.size()) < 0) {
                long offset = uva - r.userAddress();
                if (Long.compareUnsigned(length, r.size() - offset) > 0) {
                    break;
                }
                return r.segment().asSlice(offset, length);
            }
        }
        throw new VirtqueueException("front-end address 0x" + Long.toHexString(uva) + "+" + length
                + " is outside the shared memory regions");
    }

    public int regionCount() {
        return regions.size();
    }

    public long totalSize() {
        return regions.stream().mapToLong(Region::size).sum();
    }

    @Override
    public void close() {
        release.run();
    }
}
