package io.podvisor.libc;

import java.io.IOException;

/** A libc call failed: names the call (and what it worked on) and carries errno with its text. */
public final class ErrnoException extends IOException {
    private final String call;
    private final int errno;

    public ErrnoException(String call, int errno) {
        super(call + ": " + Libc.LIBC.strerror(errno) + " (errno " + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    /**
     * {@code result} when it is not negative; else the failure {@code -result} (a {@link Libc} call's -errno)
     * of {@code call}.
     */
    public static long check(long result, String call) throws ErrnoException {
        if (result < 0) {
            throw new ErrnoException(call, (int) -result);
        }
        return result;
    }

    /** As {@link #check(long, String)}, for the calls that return an int. */
    public static int check(int result, String call) throws ErrnoException {
        if (result < 0) {
            throw new ErrnoException(call, -result);
        }
        return result;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
