package io.podvisor.shim.config;

import io.podvisor.hypervisor.Acceleration;
import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.Hypervisor;
import io.podvisor.hypervisor.HypervisorSelection;
import io.podvisor.hypervisor.RuntimeDisk;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.cloudhypervisor.CloudHypervisor;
import io.podvisor.hypervisor.qemu.QemuHypervisor;
import io.podvisor.hypervisor.qemu.QemuJail;
import java.io.UncheckedIOException;
import java.util.Optional;

/** The VMM driver this node's config selects. */
public final class Hypervisors {
    private Hypervisors() {}

    /** The selection with its reason; {@code override} (from a command line) replaces the config value. */
    public static HypervisorSelection selection(PodvisorConfig config, String override) {
        String choice = override != null ? override : config.hypervisor();
        return HypervisorSelection.select(choice, config.cloudHypervisorPath(), () -> acceleration(config));
    }

    /**
     * For throwaway VMs ({@code podvisor vm run}, tests): QEMU stays root, so it keeps the parent-death signal
     * that ends it with its owner; the kernel clears that signal when a process changes its user id.
     */
    public static Hypervisor select(PodvisorConfig config, String override) throws VmmException {
        return select(config, override, Optional.empty());
    }

    /**
     * For pods: QEMU goes to its jail ({@link #qemuJail}). A killed shim's pod is cleaned up by its {@code delete}
     * command, which ends the pod's processes, so the pod does not need the parent-death signal.
     */
    public static Hypervisor forPods(PodvisorConfig config) throws VmmException {
        return select(config, null, Optional.of(qemuJail(config)));
    }

    private static Hypervisor select(PodvisorConfig config, String override, Optional<QemuJail> jail)
            throws VmmException {
        HypervisorSelection selection = selection(config, override).requireUsable();
        return switch (selection.hypervisor()) {
            case HypervisorSelection.CLOUD_HYPERVISOR -> new CloudHypervisor(selection.cloudHypervisorBinary(), config.runtimeDisk());
            default -> new QemuHypervisor(config.qemuPath(), config.kvm().equals("auto"), config.runtimeDisk(), jail);
        };
    }

    static QemuHypervisor qemu(PodvisorConfig config) {
        return new QemuHypervisor(config.qemuPath(), config.kvm().equals("auto"), config.runtimeDisk());
    }

    /** Where pods' QEMU processes go once their devices are set up: their own user ids, an empty root. */
    public static QemuJail qemuJail(PodvisorConfig config) {
        return new QemuJail(config.runDir().resolve("vmm"));
    }

    /** How the selected VMM gets the guest image's runtime disk to guests, and why. */
    public static RuntimeDisk runtimeDisk(PodvisorConfig config, HypervisorSelection selection) throws VmmException {
        GuestImage image = GuestImage.load(config.imageDir());
        return selection.hypervisor().equals(HypervisorSelection.CLOUD_HYPERVISOR)
                ? new CloudHypervisor(selection.cloudHypervisorBinary(), config.runtimeDisk()).runtimeDisk(image)
                : qemu(config).runtimeDisk(image);
    }

    /** Whether KVM can boot this node's guest image (probed once, then remembered). */
    public static Acceleration acceleration(PodvisorConfig config) {
        try {
            return qemu(config).acceleration(GuestImage.load(config.imageDir()).kernel());
        } catch (VmmException e) {
            throw new UncheckedIOException(e);
        }
    }
}
