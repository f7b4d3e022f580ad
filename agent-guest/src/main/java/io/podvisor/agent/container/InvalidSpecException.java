package io.podvisor.agent.container;

/** An OCI spec or process object the agent cannot use; the message names the field. */
final class InvalidSpecException extends Exception {

    InvalidSpecException(String message) {
        super(message);
    }
}
