package io.podvisor.hypervisor.qemu;

import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's TSC frequency. A guest under TCG reads the host's TSC, and microvm has no HPET or PM
 * timer to calibrate it against, so the kernel must be told the rate ({@code tsc_early_khz}).
 */
final class HostTsc {

    private static final Path TSC_FREQ_KHZ = Path.of("/sys/devices/system/cpu/cpu0/tsc_freq_khz");
    private static final Path CPUFREQ = Path.of("/sys/devices/system/cpu/cpu0/cpufreq");
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static final Pattern CPU_MHZ = Pattern.compile("(?m)^cpu MHz\\s*:\\s*([0-9]+(?:\\.[0-9]+)?)\\s*$");
    private static final Pattern MODEL_GHZ = Pattern.compile("(?m)^model name\\s*:.*@\\s*([0-9]+(?:\\.[0-9]+)?)GHz\\s*$");

    private static volatile long cached;

    private HostTsc() {}

    /** The host TSC frequency in kHz, read once per process. */
    static long kHz() throws VmmException {
        long k = cached;
        if (k == 0) {
            k = read();
            cached = k;
        }
        return k;
    }

    private static long read() throws VmmException {
        try {
            if (Files.isReadable(TSC_FREQ_KHZ)) {
                return Long.parseLong(Files.readString(TSC_FREQ_KHZ).strip());
            }
            String cpuinfo = Files.readString(CPUINFO);
            return fromCpuinfo(cpuinfo, Files.isDirectory(CPUFREQ)).orElseThrow(() -> new VmmException(
                    "cannot tell the host's TSC frequency: " + CPUINFO + " has no \"cpu MHz\" line; "
                            + "guests under TCG need it (tsc_early_khz)"));
        } catch (IOException | NumberFormatException e) {
            throw new VmmException("cannot read the host's TSC frequency: " + e.getMessage(), e);
        }
    }

    /**
     * The TSC kHz from /proc/cpuinfo text. Without frequency scaling "cpu MHz" is the calibrated
     * TSC rate (virtual machines, most CI hosts). With scaling it is the current core clock, so
     * the nominal rate in an Intel model name (which is the TSC rate there) wins if present.
     */
    static OptionalLong fromCpuinfo(String cpuinfo, boolean frequencyScaling) {
        if (frequencyScaling) {
            Matcher nominal = MODEL_GHZ.matcher(cpuinfo);
            if (nominal.find()) {
                return OptionalLong.of(Math.round(Double.parseDouble(nominal.group(1)) * 1_000_000));
            }
        }
        Matcher mhz = CPU_MHZ.matcher(cpuinfo);
        if (mhz.find()) {
            return OptionalLong.of(Math.round(Double.parseDouble(mhz.group(1)) * 1000));
        }
        return OptionalLong.empty();
    }
}
