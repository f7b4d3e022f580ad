package io.podvisor.shim.task;

/**
 * The pod as the Task service drives it (for Podvisor: one VM). One per shim process; every
 * container of the pod is created through it. Implemented by the VM side.
 */
public interface Sandbox {
    /**
     * Creates a container and its init process, which must not run its program before
     * {@link ContainerProcess#start()}. The first container of a pod is the pod sandbox itself
     * (see {@link OciBundle#isSandbox()}); creating it is where the VM boots.
     */
    Container createContainer(ContainerRequest request) throws TaskException;

    /** Every container was deleted and containerd shuts the shim down: stop the VM, release everything. */
    void shutdown();

    /**
     * Whether the pod ended under the shim (its VM died): its containers are gone, and what is left to serve is
     * containerd's clean-up.
     */
    boolean ended();
}
