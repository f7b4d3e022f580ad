package io.podvisor.hypervisor.os;

import static io.podvisor.hypervisor.os.Libc.LIBC;

import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.net.LoopbackSockets;
import io.podvisor.hypervisor.vsock.packet.TxPacket;
import io.podvisor.hypervisor.vsock.packet.VsockHeader;
import io.podvisor.hypervisor.vsock.virtq.DescriptorChain;
import io.podvisor.hypervisor.vsock.virtq.GuestBytes;
import io.podvisor.hypervisor.vsock.virtq.GuestMemory;
import io.podvisor.hypervisor.vsock.virtq.SplitVirtqueue;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Exercises every kind of call the host makes through {@link Libc}, on whichever implementation runs here:
 * {@code LibcCheckTest} runs it on the JVM (FFM); built into a native image as its main class, it checks the
 * {@code @CFunction} one. Prints one line per check and returns normally only if all passed. Mounting and
 * entering a network namespace need root and are skipped without it.
 */
public final class LibcCheck {
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private interface Check {
        String run(Path dir) throws Exception;
    }

    private record Named(String name, Check check) {}

    private LibcCheck() {}

    public static void main(String[] args) throws IOException {
        System.out.println("implementation: " + LIBC.getClass().getSimpleName());
        List<String> failures = run();
        System.out.println(failures.isEmpty() ? "all checks passed" : failures.size() + " checks failed: " + failures);
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " libc checks failed");
        }
    }

    /** Runs the checks, printing each; returns the names of those that failed. */
    static List<String> run() throws IOException {
        List<Named> checks = List.of(
                new Named("eventfd signal, poll, drain", LibcCheck::eventfdWakesAPoll),
                new Named("memfd + mmap shared, read and written through GuestBytes", LibcCheck::sharedMemoryIsShared),
                new Named("guest RAM mapped by GuestMemory: a TX chain popped, its header read, used", LibcCheck::virtqueueOverMappedRam),
                new Named("errno EBADF + strerror in ErrnoException", LibcCheck::closeOfANonDescriptorFails),
                new Named("open ENOENT", LibcCheck::openOfAMissingFileFails),
                new Named("ioctl NS_GET_NSTYPE", LibcCheck::namespaceTypeIsNet),
                new Named("fcntl F_DUPFD_CLOEXEC + dup2", LibcCheck::descriptorsCopy),
                new Named("socket in a network namespace (open, setns, socket)", LibcCheck::socketInOwnNamespace),
                new Named("getsockopt SO_ORIGINAL_DST fails naming the call", LibcCheck::originalDestinationOfAPlainSocket),
                new Named("mount tmpfs, openat2 beneath it, mkdirat, umount2", LibcCheck::mountsATmpfs));
        List<String> failures = new ArrayList<>();
        Path dir = Files.createTempDirectory("host-libc-check");
        try {
            for (Named named : checks) {
                try {
                    System.out.println("ok   " + named.name() + ": " + named.check().run(dir));
                } catch (Exception | Error e) { // an image reports a missing JDK native as an Error
                    failures.add(named.name());
                    System.out.println("FAIL " + named.name() + ": " + e);
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return failures;
    }

    private static void require(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    private static String eventfdWakesAPoll(Path dir) throws Exception {
        int fd = Eventfd.create(Eventfd.EFD_CLOEXEC | Eventfd.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            PollFds fds = new PollFds(arena, 1);
            fds.set(0, fd, PollFds.POLLIN);
            require(fds.poll(1, 0) == 0, "an unsignalled eventfd polls ready");
            require(Eventfd.signal(fd) == 0 && Eventfd.signal(fd) == 0, "signal failed");
            fds.set(0, fd, PollFds.POLLIN);
            require(fds.poll(1, 1000) == 1 && (fds.revents(0) & PollFds.POLLIN) != 0, "a signalled eventfd is not ready");
            long count = Eventfd.drain(fd);
            require(count == 2, "drained " + count + ", not 2");
            require(Eventfd.drain(fd) == -Libc.EAGAIN, "a drained non-blocking eventfd does not say EAGAIN");
            return "count 2, then EAGAIN";
        } finally {
            LIBC.close(fd);
        }
    }

    private static String sharedMemoryIsShared(Path dir) throws Exception {
        long size = 1 << 16;
        int memfd = SharedMemory.memfd("libc-check", size);
        long first = SharedMemory.map(memfd, size);
        long second = SharedMemory.map(memfd, size);
        try {
            GuestBytes writer = GuestBytes.of(MemorySegment.ofAddress(first).reinterpret(size), 4096, 64);
            GuestBytes reader = GuestBytes.of(MemorySegment.ofAddress(second).reinterpret(size), 4096, 64);
            writer.putU64(0, 0x1122334455667788L);
            writer.putU32(8, 0xcafebabe);
            writer.putU16Release(12, 0xbeef);
            require(reader.u64(0) == 0x1122334455667788L && reader.u32(8) == 0xcafebabe
                    && reader.u16Acquire(12) == 0xbeef, "the second mapping does not see the first's writes");
            try {
                reader.u32(62);
                throw new AssertionError("a read past the area's end was allowed");
            } catch (IndexOutOfBoundsException expected) {
                // bounds-checked
            }
            return "two mappings agree; out-of-area read refused";
        } finally {
            SharedMemory.unmap(first, size);
            SharedMemory.unmap(second, size);
            LIBC.close(memfd);
        }
    }

    /** The vsock backend's own path: GuestMemory maps a memfd a driver filled, SplitVirtqueue reads it. */
    private static String virtqueueOverMappedRam(Path dir) throws Exception {
        long size = 1 << 16;
        long gpa = 0x100000;
        long uva = 0x7f0000000000L;
        int memfd = SharedMemory.memfd("libc-check-ram", size);
        long driverMapping = SharedMemory.map(memfd, size);
        try {
            MemorySegment ram = MemorySegment.ofAddress(driverMapping).reinterpret(size);
            VsockHeader sent = new VsockHeader(3, VsockHeader.HOST_CID, 1024, 5000, 0, VsockHeader.TYPE_STREAM,
                    VsockHeader.OP_REQUEST, 0, 65536, 0);
            sent.encode(ram.asSlice(0x3000, VsockHeader.SIZE));
            GuestBytes desc = GuestBytes.of(ram, 0, SplitVirtqueue.descTableSize(8));
            desc.putU64(0, gpa + 0x3000);
            desc.putU32(8, VsockHeader.SIZE);
            GuestBytes avail = GuestBytes.of(ram, 0x1000, SplitVirtqueue.availRingSize(8));
            avail.putU16(4, 0);
            avail.putU16Release(2, 1);
            int deviceFd = ErrnoException.check(LIBC.fcntl(memfd, 1030, 0), "fcntl(F_DUPFD_CLOEXEC)");
            try (GuestMemory memory = GuestMemory.map(List.of(new GuestMemory.RegionSpec(gpa, size, uva, 0)),
                    new int[] {deviceFd})) {
                SplitVirtqueue queue = new SplitVirtqueue(memory, 8, memory.user(uva, SplitVirtqueue.descTableSize(8)),
                        memory.user(uva + 0x1000, SplitVirtqueue.availRingSize(8)),
                        memory.user(uva + 0x2000, SplitVirtqueue.usedRingSize(8)), 0);
                DescriptorChain chain = queue.pop();
                require(chain != null && chain.head() == 0, "no chain popped");
                VsockHeader received = TxPacket.parse(chain).header();
                require(received.equals(sent), "header " + received + ", sent " + sent);
                queue.addUsed(chain.head(), 0);
                require(queue.pop() == null, "a second chain popped");
            }
            GuestBytes used = GuestBytes.of(ram, 0x2000, SplitVirtqueue.usedRingSize(8));
            require(used.u16Acquire(2) == 1 && used.u32(4) == 0, "the used ring does not hold the chain");
            return "popped and used: " + sent;
        } finally {
            SharedMemory.unmap(driverMapping, size);
            LIBC.close(memfd);
        }
    }

    private static String closeOfANonDescriptorFails(Path dir) {
        try {
            ErrnoException.check(LIBC.close(-1), "close -1");
            throw new AssertionError("close(-1) succeeded");
        } catch (ErrnoException e) {
            require(e.errno() == 9 && e.call().equals("close -1")
                    && e.getMessage().equals("close -1: Bad file descriptor (errno 9)"), e.getMessage());
            return e.getMessage();
        }
    }

    private static String openOfAMissingFileFails(Path dir) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = LIBC.open(NativeMemory.cString(arena, dir.resolve("missing").toString()), Libc.O_RDONLY, 0);
            require(fd == -Libc.ENOENT, "open of a missing file returned " + fd);
            return "-ENOENT";
        }
    }

    private static String namespaceTypeIsNet(Path dir) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = LIBC.open(NativeMemory.cString(arena, "/proc/self/ns/net"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            require(fd >= 0, "open /proc/self/ns/net: " + LIBC.strerror(-fd));
            try {
                int type = LIBC.ioctl(fd, 0xb703, 0);
                require(type == 0x40000000, "type " + type);
                return "CLONE_NEWNET";
            } finally {
                LIBC.close(fd);
            }
        }
    }

    private static String descriptorsCopy(Path dir) throws Exception {
        int fd = Eventfd.create(Eventfd.EFD_NONBLOCK);
        int copy = ErrnoException.check(LIBC.fcntl(fd, 1030, 0), "fcntl(F_DUPFD_CLOEXEC)");
        int other = Eventfd.create(Eventfd.EFD_NONBLOCK);
        try {
            ErrnoException.check(LIBC.dup2(fd, other), "dup2");
            require(Eventfd.signal(copy) == 0 && Eventfd.drain(other) == 1, "the copies are not the same eventfd");
            return "fd " + fd + " = " + copy + " = " + other;
        } finally {
            LIBC.close(fd);
            LIBC.close(copy);
            LIBC.close(other);
        }
    }

    private static String socketInOwnNamespace(Path dir) throws Exception {
        if (!ROOT) {
            return "skipped (not root)";
        }
        int fd = LoopbackSockets.tcpSocketIn(Path.of("/proc/self/ns/net"), "libc-check");
        LIBC.close(fd);
        try {
            LoopbackSockets.tcpSocketIn(dir.resolve("missing"), "libc-check");
            throw new AssertionError("a socket in a missing namespace");
        } catch (VmmException e) {
            require(e.getMessage().contains("open: No such file or directory (errno 2)"), e.getMessage());
        }
        return "fd " + fd + "; a missing namespace is refused";
    }

    private static String originalDestinationOfAPlainSocket(Path dir) throws Exception {
        int fd = ErrnoException.check(LIBC.socket(2, 1, 0), "socket");
        try {
            LoopbackSockets.originalDestinationPort(fd);
            throw new AssertionError("SO_ORIGINAL_DST of an unconnected socket succeeded");
        } catch (VmmException e) {
            require(e.getMessage().startsWith("getsockopt(SO_ORIGINAL_DST): "), e.getMessage());
            return e.getMessage();
        } finally {
            LIBC.close(fd);
        }
    }

    private static String mountsATmpfs(Path dir) throws Exception {
        if (!ROOT) {
            return "skipped (not root)";
        }
        Path target = Files.createDirectory(dir.resolve("mnt"));
        try (Arena arena = Arena.ofConfined()) {
            long path = NativeMemory.cString(arena, target.toString());
            ErrnoException.check(LIBC.mount(NativeMemory.cString(arena, "tmpfs"), path, NativeMemory.cString(arena, "tmpfs"),
                    0, NativeMemory.cString(arena, "size=64k")), "mount");
            try {
                int dirFd = ErrnoException.check(LIBC.open(path, 0x200000 | 0x10000 | Libc.O_CLOEXEC, 0), "open O_PATH");
                try {
                    ErrnoException.check(LIBC.mkdirat(dirFd, NativeMemory.cString(arena, "sub"), 0755), "mkdirat");
                    MemorySegment how = arena.allocate(24, 8);
                    NativeMemory.view(how).putLong(0, 0x200000 | 0x10000 | Libc.O_CLOEXEC).putLong(8, 0).putLong(16, 0x08);
                    int sub = (int) ErrnoException.check(LIBC.syscall(437, dirFd, NativeMemory.cString(arena, "sub"),
                            how.address(), 24, 0), "openat2");
                    LIBC.close(sub);
                    long escape = LIBC.syscall(437, dirFd, NativeMemory.cString(arena, "../.."), how.address(), 24, 0);
                    require(escape == -18, "openat2 RESOLVE_BENEATH of ../.. returned " + escape + ", not -EXDEV");
                } finally {
                    LIBC.close(dirFd);
                }
            } finally {
                ErrnoException.check(LIBC.umount2(path, 2), "umount2");
            }
            require(!Files.exists(target.resolve("sub")), "the tmpfs is still mounted");
            return "mounted, sub opened beneath, ../.. refused (EXDEV), unmounted";
        }
    }
}
