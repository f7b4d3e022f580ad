package io.podvisor.hypervisor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Which VMM driver runs this node's pods, from the {@code hypervisor} config value, and why.
 * {@code "auto"} prefers Cloud Hypervisor where its binary is present and KVM can boot the
 * guest, and falls back to QEMU (which can also emulate with TCG) otherwise.
 *
 * @param hypervisor            {@code "cloud-hypervisor"} or {@code "qemu"}
 * @param cloudHypervisorBinary the binary to run when {@code hypervisor} is Cloud Hypervisor, else null
 * @param reason                one sentence for {@code podvisor check} and the logs
 * @param problem               why the configured choice cannot run pods on this host, or null
 */
public record HypervisorSelection(String hypervisor, Path cloudHypervisorBinary, String reason, String problem) {

    public static final String AUTO = "auto";
    public static final String CLOUD_HYPERVISOR = "cloud-hypervisor";
    public static final String QEMU = "qemu";
    static final String BINARY_NAME = "cloud-hypervisor";

    /**
     * Decides for this host.
     *
     * @param configured          the config value: "auto", "cloud-hypervisor" or "qemu"
     * @param cloudHypervisorPath where the config says the binary is; PATH is searched when it is not there
     * @param acceleration        asked only when Cloud Hypervisor is a candidate (it may boot a probe guest)
     */
    public static HypervisorSelection select(String configured, Path cloudHypervisorPath,
            Supplier<Acceleration> acceleration) {
        return select(configured, cloudHypervisorPath, System.getenv("PATH"), acceleration);
    }

    static HypervisorSelection select(String configured, Path cloudHypervisorPath, String searchPath,
            Supplier<Acceleration> acceleration) {
        String setting = "hypervisor = \"" + configured + "\"";
        switch (configured) {
            case QEMU -> {
                return new HypervisorSelection(QEMU, null, setting + " in the config", null);
            }
            case CLOUD_HYPERVISOR, AUTO -> {
                // decided below
            }
            default -> throw new IllegalArgumentException(setting + " is not known: use \"" + AUTO + "\", \""
                    + CLOUD_HYPERVISOR + "\" or \"" + QEMU + "\"");
        }
        boolean explicit = configured.equals(CLOUD_HYPERVISOR);
        Optional<Path> binary = findBinary(cloudHypervisorPath, searchPath);
        if (binary.isEmpty()) {
            String missing = "no cloud-hypervisor binary at " + cloudHypervisorPath + " nor on PATH";
            return explicit
                    ? new HypervisorSelection(CLOUD_HYPERVISOR, null, setting + " in the config", setting + " but "
                            + missing + ": install Cloud Hypervisor's static binary there, set cloud_hypervisor_path,"
                            + " or set hypervisor = \"auto\" to use QEMU")
                    : new HypervisorSelection(QEMU, null, setting + ": " + missing + ", so QEMU", null);
        }
        Acceleration accel = acceleration.get();
        if (!accel.kvm()) {
            String noKvm = "KVM cannot boot the guest here (" + accel.reason() + ")";
            return explicit
                    ? new HypervisorSelection(CLOUD_HYPERVISOR, binary.get(), setting + " in the config", setting
                            + " but " + noKvm + ": Cloud Hypervisor needs KVM; set hypervisor = \"auto\" or \"qemu\"")
                    : new HypervisorSelection(QEMU, null, setting + ": " + binary.get() + " is present but "
                            + noKvm + ", so QEMU", null);
        }
        return new HypervisorSelection(CLOUD_HYPERVISOR, binary.get(), setting + (explicit ? " in the config" : "")
                + ": " + binary.get() + " is present and KVM can boot the guest (" + accel.reason() + ")", null);
    }

    /** The configured binary if it is executable, else the first {@code cloud-hypervisor} on the search path. */
    static Optional<Path> findBinary(Path configured, String searchPath) {
        if (configured != null && Files.isRegularFile(configured) && Files.isExecutable(configured)) {
            return Optional.of(configured);
        }
        if (searchPath == null) {
            return Optional.empty();
        }
        for (String dir : searchPath.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, BINARY_NAME);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    public boolean usable() {
        return problem == null;
    }

    /** Fails with {@link #problem()} when the configured hypervisor cannot run here. */
    public HypervisorSelection requireUsable() throws VmmException {
        if (problem != null) {
            throw new VmmException("podvisor: " + problem);
        }
        return this;
    }

    @Override
    public String toString() {
        return hypervisor + " (" + reason + ")" + (problem != null ? "; PROBLEM: " + problem : "");
    }
}
