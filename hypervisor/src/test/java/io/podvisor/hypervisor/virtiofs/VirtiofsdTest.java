package io.podvisor.hypervisor.virtiofs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real virtiofsd on a real shared directory. Without a VM, the test connects to the socket
 * itself: that is when virtiofsd forks its sandboxed server, whose view of the share the test
 * reads through /proc/PID/root.
 */
@Timeout(60)
class VirtiofsdTest {
    private static Path binary;

    @TempDir
    Path tmp;

    private Path runDir;
    private SharedDir shared;

    @BeforeAll
    static void findVirtiofsd() throws VmmException {
        binary = Virtiofsd.findBinary();
    }

    @BeforeEach
    void sharedDir() throws Exception {
        runDir = Files.createDirectories(tmp.resolve("run"));
        shared = SharedDir.create("pod-v", runDir.resolve("shared"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        SharedDir.cleanup("pod-v", runDir.resolve("shared"));
    }

    @Test
    void servesTheShareOnASocketInTheRunDirAndCloseLeavesNoProcessOrSocket() throws Exception {
        List<ProcessHandle> processes;
        Path socket;
        try (Virtiofsd virtiofsd = Virtiofsd.start("pod-v", binary, shared.path(), runDir, "podfs");
             SocketChannel vmm = connect(virtiofsd)) {
            socket = runDir.toAbsolutePath().resolve("virtiofsd-podfs.sock");
            assertEquals(new VmSpec.FsShare("podfs", socket), virtiofsd.share());
            assertTrue(Files.exists(socket));
            String cmdline = Files.readString(Path.of("/proc/" + virtiofsd.process().pid() + "/cmdline"));
            assertTrue(cmdline.contains("announce_submounts") || cmdline.contains("--announce-submounts"), cmdline);
            processes = awaitServer(virtiofsd);
            assertEquals(2, processes.size(), "virtiofsd and its sandboxed server: " + processes);
        }
        for (ProcessHandle p : processes) {
            assertFalse(p.isAlive(), "virtiofsd process " + p.pid() + " outlived close()");
        }
        assertFalse(Files.exists(socket));
    }

    @Test
    void mountsMadeAfterStartReachVirtiofsdAndReadOnlyBindsStayReadOnlyThere() throws Exception {
        Path lower = Files.createDirectories(tmp.resolve("lower"));
        Files.writeString(lower.resolve("hello"), "from the image");
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Path hosts = Files.writeString(tmp.resolve("hosts"), "127.0.0.1 localhost\n");
        try (Virtiofsd virtiofsd = Virtiofsd.start("pod-v", binary, shared.path(), runDir, "podfs");
             SocketChannel vmm = connect(virtiofsd)) {
            Path served = Path.of("/proc/" + awaitServer(virtiofsd).getLast().pid() + "/root");

            shared.mountRootfs("c1", List.of(new RootfsMount("overlay", "overlay",
                    List.of("lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work))));
            shared.bind(volume, "c1/volumes/ro", true);
            shared.bind(volume, "c1/volumes/rw", false);
            shared.bind(hosts, "c1/etc-hosts", true);

            assertEquals("from the image", Files.readString(served.resolve("c1/rootfs/hello")));
            Files.writeString(served.resolve("c1/rootfs/new"), "x");
            assertEquals("x", Files.readString(upper.resolve("new")));
            Files.writeString(served.resolve("c1/volumes/rw/f"), "y");
            assertEquals("y", Files.readString(volume.resolve("f")));
            assertEquals("Read-only file system", writeError(served.resolve("c1/volumes/ro/g")));
            assertEquals("Read-only file system", writeError(served.resolve("c1/etc-hosts")));

            shared.unmount("c1/rootfs");
            assertFalse(Files.exists(served.resolve("c1/rootfs/hello")), "an unmount reaches virtiofsd too");
        }
    }

    @Test
    void killingVirtiofsdEndsItsSandboxedServer() throws Exception {
        try (Virtiofsd virtiofsd = Virtiofsd.start("pod-v", binary, shared.path(), runDir, "podfs");
             SocketChannel vmm = connect(virtiofsd)) {
            ProcessHandle server = awaitServer(virtiofsd).getLast();
            virtiofsd.process().kill();
            assertTrue(awaitDeath(server), "sandboxed server " + server.pid() + " survived its parent");
        }
    }

    @Test
    void aMissingBinaryNamesTheDebianPackages() {
        VmmException e = assertThrows(VmmException.class,
                () -> Virtiofsd.start("pod-v", tmp.resolve("virtiofsd"), shared.path(), runDir, "podfs"));
        assertTrue(e.getMessage().startsWith("pod pod-v: cannot start virtiofsd: " + tmp.resolve("virtiofsd")
                + " is missing; install Debian's virtiofsd package"), e.getMessage());
        assertTrue(e.getMessage().contains("qemu-system-common"), e.getMessage());
    }

    @Test
    void aMissingSharedDirectoryIsNamed() {
        Path missing = tmp.resolve("no-shared");
        VmmException e = assertThrows(VmmException.class,
                () -> Virtiofsd.start("pod-v", binary, missing, runDir, "podfs"));
        assertEquals("pod pod-v: cannot share " + missing + " with the VM: it is not a directory"
                + " (create the pod's shared directory first)", e.getMessage());
    }

    @Test
    void aBadTagIsRefusedBeforeAnythingStarts() {
        VmmException e = assertThrows(VmmException.class,
                () -> Virtiofsd.start("pod-v", binary, shared.path(), runDir, "a tag"));
        assertTrue(e.getMessage().contains("virtio-fs tag \"a tag\""), e.getMessage());
    }

    /** What a VMM does first: connect. virtiofsd then sets up its sandbox. */
    private static SocketChannel connect(Virtiofsd virtiofsd) throws Exception {
        return SocketChannel.open(UnixDomainSocketAddress.of(virtiofsd.share().vhostUserSocket()));
    }

    /**
     * The fork into the sandbox gives no event to wait on; poll for the child process, briefly
     * and within a bound.
     */
    /**
     * virtiofsd and its server, once the server has finished its sandbox: its root is the shared
     * directory. The server process exists a little before that, still seeing the host's root.
     */
    private List<ProcessHandle> awaitServer(Virtiofsd virtiofsd) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<ProcessHandle> processes = virtiofsd.processes();
        while (!(processes.size() >= 2 && rootIsShared(processes.getLast())) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            processes = virtiofsd.processes();
        }
        assertTrue(processes.size() >= 2, "virtiofsd did not fork its server after the connection: "
                + virtiofsd.process().logTail());
        assertTrue(rootIsShared(processes.getLast()), "virtiofsd's server did not move into "
                + shared.path() + ": " + virtiofsd.process().logTail());
        return processes;
    }

    private boolean rootIsShared(ProcessHandle server) {
        try {
            return Files.isSameFile(Path.of("/proc/" + server.pid() + "/root"), shared.path());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Dead, or a zombie: the orphaned server is reparented to init, which in some containers
     * never reaps.
     */
    private static boolean awaitDeath(ProcessHandle p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Path stat = Path.of("/proc/" + p.pid() + "/stat");
            if (!Files.exists(stat) || Files.readString(stat).replaceFirst("^.*\\) ", "").startsWith("Z")) {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return false;
    }

    private static String writeError(Path file) {
        FileSystemException e = assertThrows(FileSystemException.class, () -> Files.writeString(file, "x"));
        return e.getReason();
    }
}
