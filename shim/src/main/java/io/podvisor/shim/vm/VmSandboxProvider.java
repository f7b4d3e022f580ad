package io.podvisor.shim.vm;

import io.podvisor.shim.SandboxProvider;
import io.podvisor.shim.ShimContext;
import io.podvisor.shim.WarmPoolPlan;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.task.OciBundle;
import io.podvisor.shim.task.Sandbox;
import io.podvisor.shim.task.TaskException;
import java.nio.file.Path;
import java.util.Optional;

/** The VM side of the shim: each shim serves one pod VM. */
public final class VmSandboxProvider implements SandboxProvider {

    @Override
    public Sandbox open(ShimContext context) throws Exception {
        return new VmSandbox(PodvisorConfig.load(), null);
    }

    @Override
    public Optional<WarmPoolPlan> warmPool(Optional<Path> config) throws Exception {
        PodvisorConfig loaded = PodvisorConfig.load(config.orElse(PodvisorConfig.path()));
        return loaded.pool().isEmpty() ? Optional.empty() : Optional.of(new VmWarmPool(loaded));
    }

    @Override
    public int cleanupAfterDeadShim(ShimContext context) throws Exception {
        String podId = context.id();
        try {
            podId = OciBundle.load(context.bundle()).sandboxId().orElse(podId);
        } catch (TaskException noBundle) {
            // the bundle is gone too: the container id names the pod
        }
        if (podId.equals(context.id())) {
            PodVm.cleanup(PodvisorConfig.load(), podId);
        }
        return 0;
    }
}
