package io.podvisor.hypervisor.qemu;

import io.podvisor.hypervisor.Acceleration;
import io.podvisor.hypervisor.KernelCommandLine;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.VmmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Boots the guest kernel alone under KVM: with no initramfs and no disk it must get as far as
 * failing to mount a root file system, panic, and (panic=-1, -no-reboot) make QEMU exit.
 */
final class QemuKvmProbe implements Acceleration.KvmBootProbe {

    /** The panic a kernel reaches only after it initialised all its built-in drivers. */
    static final String REACHED_ROOT_MOUNT = "VFS: Unable to mount root fs";
    private static final Duration BOOT_LIMIT = Duration.ofSeconds(15);

    private final Path qemu;
    private final Path kernel;
    private final Acceleration accel;

    QemuKvmProbe(Path qemu, Path kernel) {
        this(qemu, kernel, new Acceleration(Acceleration.Mode.KVM, "probing"));
    }

    /** {@code accel} other than KVM only so that tests can check the probe itself under TCG. */
    QemuKvmProbe(Path qemu, Path kernel, Acceleration accel) {
        this.qemu = qemu;
        this.kernel = kernel;
        this.accel = accel;
    }

    String key() {
        return qemu + " " + kernel;
    }

    @Override
    public Optional<String> tryBoot() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("podvisor-kvm-probe");
            Path console = dir.resolve("console.log");
            List<String> argv = argv(console);
            try (VmmProcess p = VmmProcess.start("kvm-probe", "qemu", argv, null, dir.resolve("qemu.log"))) {
                if (!p.awaitExit(BOOT_LIMIT)) {
                    return Optional.of("the kernel did not get to mounting a root file system within "
                            + BOOT_LIMIT.toSeconds() + " s");
                }
                String log = Files.exists(console) ? Files.readString(console) : "";
                if (log.contains(REACHED_ROOT_MOUNT)) {
                    return Optional.empty();
                }
                String qemuLog = VmmProcess.tail(p.logFile(), 1).strip();
                return Optional.of("qemu " + p.exitDescription() + ": " + qemuLog);
            }
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        } finally {
            deleteTree(dir);
        }
    }

    List<String> argv(Path console) throws VmmException {
        List<String> a = new ArrayList<>(List.of(qemu.toString(), "-M", QemuCommandLine.MICROVM,
                "-accel", accel.kvm() ? "kvm" : "tcg", "-cpu", accel.kvm() ? "host" : "max", "-m", "128M", "-smp", "1",
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
                "-chardev", "file,id=console,path=" + QemuCommandLine.escape(console), "-serial", "chardev:console",
                "-kernel", kernel.toString()));
        List<String> cmdline = new ArrayList<>(KernelCommandLine.COMMON);
        cmdline.addAll(QemuCommandLine.kernelArgs(accel, accel.kvm() ? 0 : HostTsc.kHz()));
        a.addAll(List.of("-append", String.join(" ", cmdline)));
        return a;
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temp directory left behind is harmless.
        }
    }
}
