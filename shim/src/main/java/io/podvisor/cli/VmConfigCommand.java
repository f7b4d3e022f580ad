package io.podvisor.cli;

import io.podvisor.shim.config.PodvisorConfig;
import java.io.PrintStream;

/** {@code podvisor vm config}: what the selected driver would send to create a VM. */
final class VmConfigCommand {
    private VmConfigCommand() {}

    static int run(PodvisorConfig config, VmOptions options, PrintStream out) {
        throw new IllegalArgumentException("vm config is not available yet");
    }
}
