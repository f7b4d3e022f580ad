package io.podvisor.cli;

import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.HypervisorSelection;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.cloudhypervisor.CloudHypervisor;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.PrintStream;

/** {@code podvisor vm config}: the exact {@code vm.create} body Cloud Hypervisor would get for this VM shape. */
final class VmConfigCommand {
    private VmConfigCommand() {}

    static int run(PodvisorConfig config, VmOptions options, PrintStream out) throws VmmException {
        String hypervisor = options.hypervisor() != null ? options.hypervisor() : HypervisorSelection.CLOUD_HYPERVISOR;
        if (!hypervisor.equals(HypervisorSelection.CLOUD_HYPERVISOR)) {
            throw new IllegalArgumentException("vm config describes Cloud Hypervisor's vm.create body: use"
                    + " --hypervisor cloud-hypervisor (QEMU's command line is in each VM's qemu.log)");
        }
        VmSpec spec = VmSpec.simple("example-pod", GuestImage.load(config.imageDir()),
                options.cpus() != null ? options.cpus() : config.defaultVcpus(),
                options.memoryMiB() != null ? options.memoryMiB() : config.defaultMemoryMiB(),
                config.runDir().resolve("vm/example-pod"));
        out.println(new CloudHypervisor(config.cloudHypervisorPath(), config.runtimeDisk()).vmCreateBody(spec));
        return 0;
    }
}
