package io.podvisor.shim.task;

import java.time.Instant;

/** How a process ended: its pid, exit status (128+n for signal n) and when. */
public record Exit(int pid, int status, Instant at) {
    /** containerd's status for "exit status unknown". */
    public static final int UNKNOWN_STATUS = 255;
}
