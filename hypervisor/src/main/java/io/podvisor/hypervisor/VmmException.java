package io.podvisor.hypervisor;

import java.io.IOException;

/** A VMM operation failed; the message names the VM and what to do about it. */
public class VmmException extends IOException {
    public VmmException(String message) {
        super(message);
    }

    public VmmException(String message, Throwable cause) {
        super(message, cause);
    }
}
