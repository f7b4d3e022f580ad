package io.podvisor.shim;

import io.podvisor.shim.task.Sandbox;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The VM side of the shim, plugged into {@link ShimMain}: the sandbox a long-lived shim serves,
 * and the clean-up after a shim that died.
 */
public interface SandboxProvider {
    /**
     * The sandbox the long-lived shim serves (one pod). Called once before the shim listens, so it
     * must be quick: boot the VM in {@link Sandbox#createContainer}, not here.
     */
    Sandbox open(ShimContext context) throws Exception;

    /**
     * {@code delete} command: the shim of {@code context.id()} is gone (killed, crashed); release
     * what it left for that container (and for its pod when it was the pod's shim): VM, virtiofsd,
     * mounts, sockets, state. Returns the container's init pid if known, else 0. Must be idempotent.
     */
    int cleanupAfterDeadShim(ShimContext context) throws Exception;

    /**
     * The node's warm pool as the configuration file {@code config} (else the default one) sets it; empty when it
     * keeps none.
     */
    default Optional<WarmPoolPlan> warmPool(Optional<Path> config) throws Exception {
        return Optional.empty();
    }
}
