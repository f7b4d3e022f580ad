package io.podvisor.shim.task;

import com.google.rpc.Code;
import io.podvisor.shim.ttrpc.TtrpcException;

/**
 * A task operation that failed in a way containerd understands: the code maps to containerd's
 * errdefs (NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ...), the message says what and which id.
 */
public class TaskException extends TtrpcException {
    public TaskException(Code code, String message) {
        super(code, message);
    }

    public TaskException(Code code, String message, Throwable cause) {
        super(code, message, cause);
    }

    public static TaskException notFound(String message) {
        return new TaskException(Code.NOT_FOUND, message);
    }

    public static TaskException alreadyExists(String message) {
        return new TaskException(Code.ALREADY_EXISTS, message);
    }

    public static TaskException failedPrecondition(String message) {
        return new TaskException(Code.FAILED_PRECONDITION, message);
    }

    public static TaskException invalidArgument(String message) {
        return new TaskException(Code.INVALID_ARGUMENT, message);
    }

    public static TaskException unimplemented(String message) {
        return new TaskException(Code.UNIMPLEMENTED, message);
    }

    public static TaskException internal(String message, Throwable cause) {
        return new TaskException(Code.INTERNAL, message, cause);
    }
}
