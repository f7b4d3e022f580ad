package io.podvisor.cli;

import io.podvisor.hypervisor.Acceleration;
import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.HypervisorSelection;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.qemu.QemuHypervisor;
import io.podvisor.shim.WarmPool;
import io.podvisor.shim.agent.Versions;
import io.podvisor.shim.config.Hypervisors;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** {@code podvisor check}: what this host can do, and what to install. Exits 1 if pods cannot run. */
final class CheckCommand {
    private final PodvisorConfig config;
    private final PrintStream out;
    private boolean podsCanRun = true;

    CheckCommand(PodvisorConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    int run() {
        out.println("podvisor " + Versions.host() + ": what this host can do");
        boolean qemu = binary("QEMU", config.qemuPath(), "--version",
                "install the Debian package qemu-system-x86", false);
        binary("virtiofsd", config.virtiofsdPath(), "--version",
                "install qemu-system-common (bookworm) or virtiofsd (trixie); needed for container filesystems", true);
        Optional<String> containerd = commandVersion(Path.of("containerd"), "--version");
        line(containerd.isPresent(), "containerd", containerd.orElse(
                "not found: install containerd 1.7 or 2.x (install/containerd/install-containerd.sh installs 1.7 on Debian)"));
        line(true, "vsock", Files.exists(Path.of("/dev/vhost-vsock"))
                ? "/dev/vhost-vsock present"
                : "no /dev/vhost-vsock: QEMU VMs use podvisor's own vhost-user-vsock backend (no action needed)");
        GuestImage image = image();
        if (image != null && qemu) {
            Acceleration accel = Hypervisors.acceleration(config);
            line(true, "KVM", accel.kvm() ? "usable: " + accel.reason()
                    : "not used: " + accel.reason() + " (slower, but everything works)");
            HypervisorSelection selection = Hypervisors.selection(config, null);
            boolean usable = selection.usable();
            podsCanRun &= usable;
            line(usable, "hypervisor", selection.hypervisor() + ": " + selection.reason()
                    + (usable ? "" : "; " + selection.problem()));
            if (usable) {
                runtimeDisk(selection);
                line(true, "sandbox", selection.hypervisor().equals(HypervisorSelection.CLOUD_HYPERVISOR)
                        ? "Cloud Hypervisor runs with its seccomp filters (--seccomp true)"
                        : "QEMU runs under its seccomp filter (-sandbox " + QemuHypervisor.SANDBOX + "); it opens the"
                                + " pod's TAP device and guest memory as root, then, for pods, " + Hypervisors.qemuJail(config).describe()
                                        .replaceFirst("^QEMU ", ""));
            }
        } else {
            podsCanRun = false;
        }
        warmPool();
        out.println(podsCanRun ? "pods can run on this host" : "pods cannot run on this host yet: see above");
        return podsCanRun ? 0 : 1;
    }

    private void warmPool() {
        try {
            Optional<WarmPool> pool = PoolCommand.pool();
            if (pool.isEmpty()) {
                line(true, "warm pool", "off: every pod boots its VM (add [[pool]] entries to " + PodvisorConfig.path()
                        + " for pods that start from a booted VM)");
                return;
            }
            Optional<String> refused = pool.get().refused();
            line(refused.isEmpty(), "warm pool", PoolCommand.summary(pool.get()).replaceFirst("^warm pool: ", "")
                    + refused.map(r -> "; " + r).orElse(""));
        } catch (IOException e) {
            line(false, "warm pool", e.getMessage());
        }
    }

    private void runtimeDisk(HypervisorSelection selection) {
        try {
            line(true, "image disk", Hypervisors.runtimeDisk(config, selection).toString());
        } catch (VmmException e) {
            line(false, "image disk", e.getMessage());
            podsCanRun = false;
        }
    }

    private GuestImage image() {
        try {
            GuestImage image = GuestImage.load(config.imageDir()).requireAgentVersion(Versions.host());
            line(true, "guest image", config.imageDir() + " (agent " + image.agentVersion() + ")");
            return image;
        } catch (VmmException e) {
            line(false, "guest image", e.getMessage());
            podsCanRun = false;
            return null;
        }
    }

    private boolean binary(String what, Path path, String versionFlag, String fix, boolean optional) {
        Optional<String> version = Files.isExecutable(path) ? commandVersion(path, versionFlag) : Optional.empty();
        if (version.isPresent()) {
            line(true, what, path + " (" + version.get() + ")");
            return true;
        }
        line(optional, what, "not found at " + path + ": " + fix);
        podsCanRun &= optional;
        return false;
    }

    private void line(boolean ok, String what, String detail) {
        out.printf("  %-8s %-12s %s%n", ok ? "ok" : "MISSING", what, detail);
    }

    /** The first line a binary prints for its version flag, if it runs. */
    static Optional<String> commandVersion(Path binary, String flag) {
        try {
            Process p = new ProcessBuilder(List.of(binary.toString(), flag)).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return text.lines().findFirst().map(String::strip);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
