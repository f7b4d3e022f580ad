package io.podvisor.shim.ttrpc;

import com.google.rpc.Code;
import com.google.rpc.Status;

/** A call that ended with a non-OK status: the gRPC code and message travel as google.rpc.Status. */
public class TtrpcException extends Exception {
    private final Code code;

    public TtrpcException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public TtrpcException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    public Status toStatus() {
        return Status.newBuilder().setCode(code.getNumber()).setMessage(getMessage() == null ? "" : getMessage()).build();
    }

    public static TtrpcException fromStatus(Status status) {
        Code code = Code.forNumber(status.getCode());
        return new TtrpcException(code == null ? Code.UNKNOWN : code, status.getMessage());
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
