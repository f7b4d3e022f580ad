package io.podvisor.shim.agent;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;

/** A call to a VM's guest agent failed; the message names the VM and the call. */
public class AgentException extends IOException {
    private final Status.Code code;

    public AgentException(String message, Status.Code code, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Status.Code code() {
        return code;
    }

    static AgentException of(String vmName, String call, Throwable t) {
        Status status = Status.fromThrowable(t);
        String detail = status.getDescription() != null ? status.getDescription() : status.getCode().toString();
        String text = switch (status.getCode()) {
            case UNAVAILABLE -> "guest agent of VM " + vmName + " is unreachable during " + call + " (" + detail
                    + "): the VM may have stopped; see its console log";
            case DEADLINE_EXCEEDED -> "guest agent of VM " + vmName + " did not answer " + call + " in time";
            case CANCELLED -> "call " + call + " to the guest agent of VM " + vmName + " was cancelled";
            default -> "guest agent of VM " + vmName + ": " + call + " failed: " + detail;
        };
        return new AgentException(text, status.getCode(), t instanceof StatusRuntimeException ? t : status.asRuntimeException());
    }
}
