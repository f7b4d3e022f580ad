package io.podvisor.hypervisor.vsock.vhostuser;

import java.io.IOException;

/** The vhost-user front-end sent something this backend cannot accept. */
final class VhostUserException extends IOException {
    VhostUserException(String message) {
        super(message);
    }

    VhostUserException(String message, Throwable cause) {
        super(message, cause);
    }
}
