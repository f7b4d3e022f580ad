package io.podvisor.hypervisor.vsock;

/** The guest (or front-end) laid out a virtqueue or a buffer the device cannot use. */
class VirtqueueException extends Exception {
    VirtqueueException(String message) {
        super(message);
    }
}
