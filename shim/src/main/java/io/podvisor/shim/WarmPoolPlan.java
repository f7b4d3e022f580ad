package io.podvisor.shim;

import io.podvisor.shim.task.Sandbox;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The VM side of the warm pool ({@link WarmPool}): which VM shapes to keep booted and how many, what a pod needs,
 * and how a pool VM boots and becomes a pod's sandbox.
 */
public interface WarmPoolPlan {
    /** Where the pool's VMs leave their pid, claim socket and log files. */
    Path dir();

    /** Shape name ("2x256": vCPUs x MiB) to the number of VMs to keep ready. */
    Map<String, Integer> sizes();

    /** What one VM of {@code shape} costs the host, in MiB: its guest memory and the host processes around it. */
    long hostMiB(String shape);

    /** The shape of the VM the pod of this sandbox bundle would boot; empty when its spec cannot say. */
    Optional<String> shapeOf(Path bundle);

    /** In a pool VM's process: boots VM {@code name} of {@code shape}, up to a ready agent. */
    Vm boot(String name, String shape) throws Exception;

    /** Releases what a pool VM process that died left (its VM, mounts, directory, network namespace name). */
    void cleanup(String name);

    /** A booted pool VM. */
    interface Vm extends AutoCloseable {
        /** Processes the VM stands on: it is gone when one of them ends. */
        List<ProcessHandle> hostProcesses();

        /**
         * Why a pod must not take this VM any more (the node's guest image changed since it booted), if it must not.
         */
        Optional<String> stale();

        /** The claimed VM as the sandbox the shim serves for the pod that took it. */
        Sandbox claimedBy(ShimContext context) throws Exception;

        /** Stops the VM no pod took. */
        @Override
        void close();
    }
}
