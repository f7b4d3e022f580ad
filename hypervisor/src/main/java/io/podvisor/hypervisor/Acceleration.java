package io.podvisor.hypervisor;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Whether guests run under KVM or under QEMU's TCG emulator, and why. KVM only when the config
 * allows it, the KVM device opens and a test guest boots under it: some hosts (nested "PVM" KVM)
 * answer KVM ioctls but cannot boot a stock kernel.
 *
 * @param reason one sentence for {@code podvisor check} and for error messages
 */
public record Acceleration(Mode mode, String reason) {

    public enum Mode { KVM, TCG }

    public static final Path KVM_DEVICE = Path.of("/dev/kvm");

    /** Boots a throwaway guest under KVM. */
    @FunctionalInterface
    public interface KvmBootProbe {
        /** Empty if the guest booted, else why it did not. */
        Optional<String> tryBoot();
    }

    private static final Path PROBE_CACHE = Path.of("/run/podvisor/kvm-probe");
    private static final String BOOTED = "booted";

    /** Probe outcome per probe key: probes are slow and hosts do not change. */
    private static final Map<String, Optional<String>> PROBED = new HashMap<>();

    /**
     * Decides for this host.
     *
     * @param kvmAllowed the config switch ({@code kvm = "auto"} allows, {@code "off"} forbids)
     * @param probeKey   names what the probe boots (VMM binary and kernel); its result is cached under it
     */
    public static Acceleration decide(boolean kvmAllowed, Path kvmDevice, String probeKey, KvmBootProbe probe) {
        if (!kvmAllowed) {
            return tcg("KVM is disabled by config (kvm = \"off\")");
        }
        String deviceProblem = kvmDeviceProblem(kvmDevice);
        if (deviceProblem != null) {
            return tcg(deviceProblem);
        }
        Optional<String> bootFailure = probeOnce(probeKey, probe);
        if (bootFailure.isPresent()) {
            return tcg(kvmDevice + " opens but a test guest did not boot under it (" + bootFailure.get() + ")");
        }
        return new Acceleration(Mode.KVM, kvmDevice + " opens and a test guest booted under it");
    }

    public boolean kvm() {
        return mode == Mode.KVM;
    }

    @Override
    public String toString() {
        return mode + ": " + reason;
    }

    /** Null if {@code device} opens for reading and writing, else why not. */
    static String kvmDeviceProblem(Path device) {
        if (!Files.exists(device)) {
            return device + " does not exist (no KVM on this host, or the kvm module is not loaded)";
        }
        try (FileChannel ignored = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return null;
        } catch (AccessDeniedException e) {
            return device + " is not readable and writable by this user (add it to the kvm group)";
        } catch (IOException e) {
            return device + " cannot be opened: " + e.getMessage();
        }
    }

    /**
     * The probe's outcome, remembered in this process and in {@link #PROBE_CACHE} (a tmpfs, so a
     * reboot, which may change the host's KVM, probes again): every shim is a new process and a
     * probe can take seconds.
     */
    private static synchronized Optional<String> probeOnce(String key, KvmBootProbe probe) {
        return PROBED.computeIfAbsent(key, k -> {
            Path file = PROBE_CACHE.resolve(sha256(k));
            try {
                String cached = Files.readString(file);
                return cached.equals(BOOTED) ? Optional.empty() : Optional.of(cached);
            } catch (IOException notCached) {
                Optional<String> outcome = probe.tryBoot();
                try {
                    Files.createDirectories(PROBE_CACHE);
                    Files.writeString(file, outcome.orElse(BOOTED));
                } catch (IOException e) {
                    // not cached: the next process probes again
                }
                return outcome;
            }
        });
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Acceleration tcg(String why) {
        return new Acceleration(Mode.TCG, why + "; using TCG emulation");
    }
}
