package io.podvisor.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.Acceleration;
import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmState;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.VmmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots real QEMU microvm guests: the kernel (PODVISOR_TEST_KERNEL, else
 * /var/cache/podvisor/images/current/vmlinux) with a throwaway busybox initramfs. Run by
 * install/test.sh after it built the guest image; alone with
 * {@code mvn -pl hypervisor test -Dtest=QemuBootIT -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Timeout(180)
class QemuBootIT {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final String HELLO = "hello from init";

    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    private static GuestImage image;

    @BeforeAll
    static void throwawayImage() throws Exception {
        String env = System.getenv("PODVISOR_TEST_KERNEL");
        Path kernel = Path.of(env != null ? env : "/var/cache/podvisor/images/current/vmlinux");
        assertTrue(Files.isRegularFile(kernel), "no guest kernel at " + kernel + ": set PODVISOR_TEST_KERNEL");
        assertTrue(Files.isExecutable(BUSYBOX), BUSYBOX + " is missing: apt-get install busybox-static");
        Path root = Files.createDirectories(shared.resolve("root"));
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("proc"));
        Files.copy(BUSYBOX, root.resolve("bin/busybox"));
        Path init = root.resolve("init");
        Files.writeString(init, """
                #!/bin/busybox sh
                /bin/busybox mount -t proc proc /proc
                echo "%s after $(/bin/busybox cut -d' ' -f1 /proc/uptime) s"
                [ "$1" = poweroff ] && /bin/busybox poweroff -f
                exec /bin/busybox sleep 3600
                """.formatted(HELLO));
        init.toFile().setExecutable(true);
        Path cpio = shared.resolve("initramfs.cpio");
        Process p = new ProcessBuilder("sh", "-c", "find . | cpio -o -H newc --quiet > " + cpio)
                .directory(root.toFile()).inheritIO().start();
        assertEquals(0, p.waitFor(), "cpio failed: apt-get install cpio");
        Path disk = Files.write(shared.resolve("runtime.erofs"), new byte[4096]);
        image = new GuestImage(kernel, cpio, disk, "test");
    }

    private Vmm create(String name, List<String> kernelArgs) throws VmmException {
        VmSpec spec = new VmSpec(name, image, 2, 256, tmp, List.of(), List.of(), null, 3, kernelArgs);
        return new QemuHypervisor(QemuHypervisor.DEFAULT_BINARY, true, "auto").create(spec);
    }

    @Test
    void bootsToInitThenCloseLeavesNoProcessAndNoSocket() throws Exception {
        long pid;
        try (Vmm vm = create("boot-it", List.of())) {
            CompletableFuture<Long> firstLine = seen(vm.consoleLog(), "Linux version");
            CompletableFuture<Long> hello = seen(vm.consoleLog(), HELLO);
            long start = System.nanoTime();
            vm.boot();
            long booted = System.nanoTime();
            assertEquals(VmState.RUNNING, vm.state());
            pid = vm.hostProcesses().getFirst().pid();
            assertEquals(Long.toString(pid), Files.readString(tmp.resolve("qemu.pid")).strip());
            assertTrue(Files.exists(vm.vsockSocket()));
            System.out.printf("boot-it: boot() returned after %d ms, first console line after %d ms, /init after %d ms%n",
                    ms(booted - start), ms(firstLine.get() - start), ms(hello.get() - start));
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "qemu " + pid + " still runs");
        try (Stream<Path> left = Files.list(tmp)) {
            List<String> names = left.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("console.log", "qemu.log"), names);
        }
    }

    @Test
    void guestPowerOffEndsQemuAndTheStateSaysSo() throws Exception {
        try (Vmm vm = create("poweroff-it", List.of("--", "poweroff"))) {
            vm.boot();
            ProcessHandle qemu = vm.hostProcesses().getFirst();
            qemu.onExit().get(60, TimeUnit.SECONDS);
            assertEquals(VmState.SHUTDOWN, vm.state());
            vm.stop(Duration.ofSeconds(1));
        }
    }

    @Test
    void stopQuitsQemu() throws Exception {
        try (Vmm vm = create("stop-it", List.of())) {
            vm.boot();
            ProcessHandle qemu = vm.hostProcesses().getFirst();
            vm.stop(Duration.ofSeconds(10));
            assertFalse(qemu.isAlive());
            assertEquals(VmState.SHUTDOWN, vm.state());
            assertFalse(Files.exists(tmp.resolve("qmp.sock")));
        }
    }

    @Test
    void qemuThatDiesAtStartGivesTheVmNameAndQemusReason() throws Exception {
        // A file that is not a listening socket: QEMU cannot connect its vhost-user-fs device.
        Path notASocket = Files.createFile(tmp.resolve("fs.sock"));
        VmSpec spec = new VmSpec("dies-it", image, 1, 256, tmp, List.of(new VmSpec.FsShare("pod", notASocket)),
                List.of(), null, 3, List.of());
        try (Vmm vm = new QemuHypervisor(QemuHypervisor.DEFAULT_BINARY, true, "auto").create(spec)) {
            VmmException e = assertThrows(VmmException.class, vm::boot);
            assertTrue(e.getMessage().startsWith("VM dies-it: qemu exited with status 1 while booting"), e.getMessage());
            assertTrue(e.getMessage().contains(notASocket.toString()), e.getMessage());
            assertTrue(vm.hostProcesses().isEmpty());
        }
    }

    @Test
    void qemuRunsInsideThePodsNetworkNamespaceOnItsTap() throws Exception {
        String ns = "podvisor-it-d-" + ProcessHandle.current().pid();
        run("ip", "netns", "add", ns);
        try {
            run("ip", "-n", ns, "tuntap", "add", "tap0", "mode", "tap");
            Path netns = Path.of("/var/run/netns", ns);
            VmSpec spec = new VmSpec("netns-it", image, 1, 256, tmp, List.of(),
                    List.of(new VmSpec.NetDevice("tap0", "02:00:00:00:00:07")), netns, 3, List.of());
            try (Vmm vm = new QemuHypervisor(QemuHypervisor.DEFAULT_BINARY, true, "auto").create(spec)) {
                vm.boot();
                long pid = vm.hostProcesses().getFirst().pid();
                Object qemuNs = Files.getAttribute(Path.of("/proc/" + pid + "/ns/net"), "unix:ino");
                assertEquals(Files.getAttribute(netns, "unix:ino"), qemuNs);
                assertEquals(VmState.RUNNING, vm.state());
            }
        } finally {
            run("ip", "netns", "del", ns);
        }
    }

    @Test
    void virtiofsdShareIsConnectedAtBoot() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Path socket = tmp.resolve("fs.sock");
        try (VmmProcess virtiofsd = VmmProcess.start("fs-it", "virtiofsd", List.of("/usr/lib/qemu/virtiofsd",
                "--socket-path=" + socket, "-o", "source=" + shared, "-o", "cache=auto"), null, tmp.resolve("virtiofsd.log"))) {
            virtiofsd.awaitSocket(socket, Duration.ofSeconds(10));
            VmSpec spec = new VmSpec("fs-it", image, 1, 256, tmp, List.of(new VmSpec.FsShare("pod", socket)),
                    List.of(), null, 3, List.of());
            try (Vmm vm = new QemuHypervisor(QemuHypervisor.DEFAULT_BINARY, true, "auto").create(spec)) {
                vm.boot();
                assertEquals(VmState.RUNNING, vm.state());
                assertTrue(virtiofsd.isAlive(), VmmProcess.tail(tmp.resolve("virtiofsd.log"), 5));
            }
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
    }

    /** Under TCG the probe's own logic: a kernel without root file system panics where expected. */
    @Test
    void probeRecognisesAKernelThatBooted() {
        QemuKvmProbe probe = new QemuKvmProbe(QemuHypervisor.DEFAULT_BINARY, image.kernel(),
                new Acceleration(Acceleration.Mode.TCG, "test"));
        assertEquals(java.util.Optional.empty(), probe.tryBoot());
    }

    private static CompletableFuture<Long> seen(Path file, String text) {
        CompletableFuture<Long> when = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                when.complete(awaitConsole(file, text, Duration.ofSeconds(90)));
            } catch (Throwable t) {
                when.completeExceptionally(t);
            }
        });
        return when;
    }

    /** Waits for {@code text} in the file; returns System.nanoTime() when it was seen. */
    static long awaitConsole(Path file, String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (WatchService watcher = file.getFileSystem().newWatchService()) {
            file.getParent().register(watcher, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
            while (!(Files.exists(file) && Files.readString(file).contains(text))) {
                long left = deadline - System.nanoTime();
                assertTrue(left > 0, "no \"" + text + "\" in " + file + " within " + timeout.toSeconds() + " s");
                WatchKey key = watcher.poll(left, TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
            return System.nanoTime();
        }
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
