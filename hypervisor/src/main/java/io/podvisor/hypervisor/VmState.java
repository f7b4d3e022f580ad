package io.podvisor.hypervisor;

/** The lifecycle of one VM as every driver reports it. */
public enum VmState {
    /** Configured, VMM may be running, guest not booted yet. */
    CREATED,
    RUNNING,
    PAUSED,
    /** The guest powered off or the VMM exited. */
    SHUTDOWN
}
