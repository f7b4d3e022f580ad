package io.podvisor.agent.os;

import java.io.IOException;

/** posix_spawn failed; {@link #errno()} says why (ENOENT: no such executable or directory, EACCES, ...). */
public final class SpawnException extends IOException {

    public static final int ENOENT = 2;
    public static final int EACCES = 13;

    private final int errno;

    SpawnException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
