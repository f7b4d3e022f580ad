package io.podvisor.hypervisor;

/** A VMM driver: turns a {@link VmSpec} into a VM, created but not booted. */
public interface Hypervisor {

    /** "qemu" or "cloud-hypervisor". */
    String name();

    Vmm create(VmSpec spec) throws VmmException;
}
