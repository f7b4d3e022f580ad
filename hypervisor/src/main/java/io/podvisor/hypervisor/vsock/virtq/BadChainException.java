package io.podvisor.hypervisor.vsock.virtq;

/** One descriptor chain is unusable; the device returns it unused and carries on with the next. */
public final class BadChainException extends VirtqueueException {
    public final int head;

    public BadChainException(int head, String message) {
        super("descriptor chain " + head + ": " + message);
        this.head = head;
    }
}
