package io.podvisor.shim.vm;

import io.podvisor.hypervisor.net.WarmTap;
import io.podvisor.shim.ShimContext;
import io.podvisor.shim.WarmPoolPlan;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.config.WarmPoolShape;
import io.podvisor.shim.task.OciBundle;
import io.podvisor.shim.task.Sandbox;
import io.podvisor.shim.task.TaskException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The warm pool as the node configuration's {@code [[pool]]} entries set it. */
final class VmWarmPool implements WarmPoolPlan {
    private static final System.Logger LOG = System.getLogger(VmWarmPool.class.getName());
    /**
     * Host memory a VM needs besides its guest memory: QEMU (its TCG translation cache, device model), virtiofsd and
     * the shim, as the benchmark measured them (157 MiB beyond guest RAM per pod, 3 pods, native shim).
     */
    static final long HOST_PROCESSES_MIB = 160;

    private final PodvisorConfig config;

    VmWarmPool(PodvisorConfig config) {
        this.config = config;
    }

    @Override
    public Path dir() {
        return config.runDir().resolve("warm");
    }

    @Override
    public Map<String, Integer> sizes() {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        config.pool().forEach(shape -> sizes.put(shape.name(), shape.size()));
        return sizes;
    }

    @Override
    public long hostMiB(String shape) {
        return WarmPoolShape.memoryMiBOf(shape) + HOST_PROCESSES_MIB;
    }

    @Override
    public Optional<String> shapeOf(Path bundle) {
        try {
            OciBundle oci = OciBundle.load(bundle);
            String name = PodNames.pod(oci.sandboxId().orElse(bundle.getFileName().toString()), oci.spec());
            VmSize size = VmSize.forSandbox(name, oci.spec(), config);
            return Optional.of(WarmPoolShape.name(size.vcpus(), size.memoryMiB()));
        } catch (TaskException e) {
            // The shim's create reports the bad spec; the pod boots cold and fails there with its message.
            return Optional.empty();
        }
    }

    @Override
    public Vm boot(String name, String shape) throws Exception {
        Path image = imageNow();
        WarmVm vm = WarmVm.boot(config, name, VmSize.ofShape(shape));
        return new Vm() {
            @Override
            public List<ProcessHandle> hostProcesses() {
                return vm.hostProcesses();
            }

            @Override
            public Optional<String> stale() {
                Path now = imageNow();
                return now.equals(image) ? Optional.empty() : Optional.of("it booted guest image " + image
                        + ", the node's is " + now + " now");
            }

            @Override
            public Sandbox claimedBy(ShimContext context) {
                return new VmSandbox(config, vm);
            }

            @Override
            public void close() {
                vm.close();
            }
        };
    }

    @Override
    public void cleanup(String name) {
        try {
            PodVm.cleanup(config, name);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "warm VM {0}: {1}", name, e.getMessage());
        }
        WarmTap.forget(name);
    }

    /** The guest image directory the configuration names, its links resolved (install.sh moves "current"). */
    private Path imageNow() {
        try {
            return config.imageDir().toRealPath();
        } catch (java.io.IOException e) {
            return config.imageDir();
        }
    }
}
