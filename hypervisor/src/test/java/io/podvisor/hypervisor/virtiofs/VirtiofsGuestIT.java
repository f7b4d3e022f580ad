package io.podvisor.hypervisor.virtiofs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.qemu.QemuHypervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots a QEMU guest with the pod's share and checks, from inside the guest, what the
 * shim relies on: a container rootfs and a read-only volume mounted on the host after the guest
 * mounted the share are visible there, each as its own file system, writable resp. read-only.
 * The guest runs a test /init appended to the guest image's initramfs (PODVISOR_TEST_IMAGE, else
 * /var/cache/podvisor/images/current): no agent. Not run by {@code mvn test}; run it with
 * {@code mvn -pl hypervisor test -Dtest=VirtiofsGuestIT -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Timeout(180)
class VirtiofsGuestIT {
    private static final Duration GUEST_STEP = Duration.ofSeconds(90);
    private static final String INIT = """
            #!/bin/sh
            mount -t proc proc /proc
            mount -t sysfs sysfs /sys
            mount -t devtmpfs devtmpfs /dev
            mmio=""
            for word in $(cat /proc/cmdline); do
                case "$word" in virtio_mmio.device=*) mmio="$mmio device=${word#virtio_mmio.device=}" ;; esac
            done
            if [ -n "$(ls /sys/bus/pci/devices)" ]; then modprobe virtio_pci; else modprobe virtio_mmio $mmio; fi
            modprobe virtiofs
            mkdir -p /share
            mount -t virtiofs podfs /share && echo "guest: share mounted"
            while [ ! -e /share/ready ]; do usleep 20000; done
            echo "guest: rootfs file says [$(cat /share/c1/rootfs/hello)]"
            echo "guest: devices share=$(stat -c %d /share) rootfs=$(stat -c %d /share/c1/rootfs)"
            echo written >/share/c1/rootfs/from-guest && echo "guest: rootfs write ok"
            (echo x >/share/c1/volume/f) 2>/tmp/err || echo "guest: volume write failed: $(cat /tmp/err)"
            echo "guest: done"
            poweroff -f
            """;

    @TempDir
    Path tmp;

    @Test
    void mountsMadeAfterTheGuestMountedTheShareAreVisibleInTheGuest() throws Exception {
        GuestImage image = testImage();
        Path runDir = Files.createDirectories(tmp.resolve("run"));
        Path lower = Files.createDirectories(tmp.resolve("lower"));
        Files.writeString(lower.resolve("hello"), "from the image");
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        try (SharedDir shared = SharedDir.create("vfs-it", runDir.resolve("shared"));
             Virtiofsd virtiofsd = Virtiofsd.start("vfs-it", Virtiofsd.findBinary(), shared.path(), runDir, "podfs")) {
            VmSpec spec = new VmSpec("vfs-it", image, 1, 256, runDir, List.of(virtiofsd.share()), List.of(), null, 3,
                    List.of());
            try (Vmm vm = new QemuHypervisor(QemuHypervisor.DEFAULT_BINARY, true, "auto").create(spec)) {
                vm.boot();
                awaitConsole(vm.consoleLog(), "guest: share mounted");

                shared.mountRootfs("c1", List.of(new RootfsMount("overlay", "overlay",
                        List.of("lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work))));
                shared.bind(volume, "c1/volume", true);
                Files.writeString(shared.path().resolve("ready"), "");
                String console = awaitConsole(vm.consoleLog(), "guest: done");
                console.lines().filter(l -> l.contains("guest: ")).forEach(System.out::println);

                assertTrue(console.contains("guest: rootfs file says [from the image]"), console);
                assertTrue(console.contains("guest: rootfs write ok"), console);
                assertEquals("written\n", Files.readString(upper.resolve("from-guest")));
                assertTrue(console.contains("guest: volume write failed: ") && console.contains("Read-only file system"),
                        console);
                Matcher devices = Pattern.compile("guest: devices share=(\\d+) rootfs=(\\d+)").matcher(console);
                assertTrue(devices.find(), console);
                assertNotEquals(devices.group(1), devices.group(2), "the rootfs is not announced as a submount");
            }
        }
    }

    /** The image's kernel and runtime disk, its initramfs with the test /init appended. */
    private GuestImage testImage() throws Exception {
        String env = System.getenv("PODVISOR_TEST_IMAGE");
        GuestImage image = GuestImage.load(Path.of(env != null ? env : "/var/cache/podvisor/images/current"));
        Path root = Files.createDirectories(tmp.resolve("init-root"));
        Path init = Files.writeString(root.resolve("init"), INIT);
        assertTrue(init.toFile().setExecutable(true));
        Path extra = tmp.resolve("init.cpio");
        Process cpio = new ProcessBuilder("sh", "-c", "echo init | cpio -o -H newc --quiet > " + extra)
                .directory(root.toFile()).inheritIO().start();
        assertEquals(0, cpio.waitFor(), "cpio failed: apt-get install cpio");
        // The kernel unpacks concatenated archives in order: the later /init wins.
        Path initramfs = Files.copy(image.initramfs(), tmp.resolve("initramfs.cpio"));
        Files.write(initramfs, Files.readAllBytes(extra), StandardOpenOption.APPEND);
        return new GuestImage(image.kernel(), initramfs, image.runtimeDisk(), image.agentVersion());
    }

    /** Waits for {@code text} in the console log; returns the log. */
    private static String awaitConsole(Path file, String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + GUEST_STEP.toNanos();
        try (WatchService watcher = file.getFileSystem().newWatchService()) {
            file.getParent().register(watcher, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
            while (true) {
                String log = Files.exists(file) ? Files.readString(file) : "";
                if (log.contains(text)) {
                    return log;
                }
                long left = deadline - System.nanoTime();
                assertTrue(left > 0, "no \"" + text + "\" on the console within " + GUEST_STEP.toSeconds() + " s:\n" + log);
                WatchKey key = watcher.poll(left, TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        }
    }
}
