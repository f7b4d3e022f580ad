package io.podvisor.shim;

/** A shim command that failed; the message is what containerd shows the user. */
public final class ShimException extends Exception {
    public ShimException(String message) {
        super(message);
    }

    public ShimException(String message, Throwable cause) {
        super(message, cause);
    }
}
