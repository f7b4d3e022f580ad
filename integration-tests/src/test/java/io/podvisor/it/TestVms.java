package io.podvisor.it;

import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.shim.config.Hypervisors;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Real VMs for tests, from the guest image install/test.sh built and the node's config. */
final class TestVms {
    private TestVms() {}

    static PodvisorConfig config() {
        try {
            return PodvisorConfig.load();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The built guest image; a missing image fails the test with what to run. */
    static GuestImage image() throws VmmException {
        return GuestImage.load(config().imageDir());
    }

    /** The node's config with {@code toml}'s keys added (a key the node's config sets already is refused). */
    static PodvisorConfig configWith(String toml, Path dir) throws IOException {
        String node = Files.exists(PodvisorConfig.path()) ? Files.readString(PodvisorConfig.path()) : "";
        return PodvisorConfig.load(Files.writeString(dir.resolve("config.toml"), node + "\n" + toml + "\n"));
    }

    static Path repo() {
        return Checkout.dir();
    }

    static Vmm create(String name, Path runDir, List<String> kernelArgs) throws IOException {
        return create(name, runDir, kernelArgs, config());
    }

    static Vmm create(String name, Path runDir, List<String> kernelArgs, PodvisorConfig config) throws IOException {
        Files.createDirectories(runDir);
        VmSpec spec = new VmSpec(name, image(), config.defaultVcpus(), config.defaultMemoryMiB(), runDir,
                List.of(), List.of(), null, 3, kernelArgs);
        return Hypervisors.select(config, "qemu").create(spec);
    }

}
