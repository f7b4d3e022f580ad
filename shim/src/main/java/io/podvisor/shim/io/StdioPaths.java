package io.podvisor.shim.io;

/**
 * The stdio containerd asked for: FIFO (or file) paths, empty when a stream is not wanted; in
 * terminal mode stdout carries the terminal and stderr is unused.
 */
public record StdioPaths(String stdin, String stdout, String stderr, boolean terminal) {
    public static final StdioPaths NONE = new StdioPaths("", "", "", false);

    public StdioPaths {
        stdin = stdin == null ? "" : stdin;
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
    }
}
