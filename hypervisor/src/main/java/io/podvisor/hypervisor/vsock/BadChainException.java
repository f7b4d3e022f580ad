package io.podvisor.hypervisor.vsock;

/** One descriptor chain is unusable; the device returns it unused and carries on with the next. */
final class BadChainException extends VirtqueueException {
    final int head;

    BadChainException(int head, String message) {
        super("descriptor chain " + head + ": " + message);
        this.head = head;
    }
}
