package io.podvisor.hypervisor.vsock.virtq;

/** The guest (or front-end) laid out a virtqueue or a buffer the device cannot use. */
public class VirtqueueException extends Exception {
    VirtqueueException(String message) {
        super(message);
    }
}
