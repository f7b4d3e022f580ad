package io.podvisor.shim.io;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One process's stdio as containerd passes it: stdin/stdout/stderr FIFO paths (or {@code file://}
 * URIs, or nothing). The backend reads {@link #stdin()} and writes {@link #stdout()} and
 * {@link #stderr()}; writes go straight to the FIFO, so what was written before
 * {@link #closeOutputs()} reaches the client even if the process is gone.
 */
public final class ProcessIo implements Closeable {
    private final StdioPaths paths;
    private final FifoInput stdin;
    private final FileChannel stdoutChannel;
    private final FileChannel stderrChannel;
    private final OutputStream stdout;
    private final OutputStream stderr;

    private ProcessIo(StdioPaths paths, FifoInput stdin, FileChannel stdoutChannel, FileChannel stderrChannel) {
        this.paths = paths;
        this.stdin = stdin;
        this.stdoutChannel = stdoutChannel;
        this.stderrChannel = stderrChannel;
        this.stdout = stdoutChannel == null ? OutputStream.nullOutputStream() : Channels.newOutputStream(stdoutChannel);
        this.stderr = stderrChannel == null ? OutputStream.nullOutputStream() : Channels.newOutputStream(stderrChannel);
    }

    /**
     * Opens the output ends now (they never block: a FIFO is opened read-write, which also keeps it
     * usable while the client re-attaches) and the stdin FIFO on first read.
     */
    public static ProcessIo open(StdioPaths paths) throws IOException {
        FileChannel out = null;
        FileChannel err = null;
        try {
            out = openOutput(paths.stdout(), "stdout");
            if (!paths.terminal() && !paths.stderr().equals(paths.stdout())) {
                err = openOutput(paths.stderr(), "stderr");
            } else if (!paths.terminal()) {
                err = out;
            }
            FifoInput in = paths.stdin().isEmpty() ? null : new FifoInput(Path.of(paths.stdin()));
            return new ProcessIo(paths, in, out, err);
        } catch (IOException | RuntimeException e) {
            if (out != null) {
                out.close();
            }
            if (err != null) {
                err.close();
            }
            throw e;
        }
    }

    private static FileChannel openOutput(String spec, String stream) throws IOException {
        if (spec.isEmpty()) {
            return null;
        }
        URI uri = spec.contains("://") ? URI.create(spec) : null;
        if (uri != null && !"file".equals(uri.getScheme()) && !"fifo".equals(uri.getScheme())) {
            throw new IOException(stream + " " + spec + ": only FIFO paths and file:// URIs are supported");
        }
        Path path = uri == null ? Path.of(spec) : Path.of(uri.getPath());
        try {
            if (Files.exists(path) && !Files.isRegularFile(path)) {
                return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
            return FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IOException("cannot open " + stream + " " + path + ": " + e.getMessage(), e);
        }
    }

    public StdioPaths paths() {
        return paths;
    }

    public boolean terminal() {
        return paths.terminal();
    }

    public boolean hasStdin() {
        return stdin != null;
    }

    /** The process's input: ends when the client closes stdin or on CloseIO. Empty when there is no stdin. */
    public InputStream stdin() {
        return stdin == null ? InputStream.nullInputStream() : stdin;
    }

    /** The process's stdout (the terminal in terminal mode). */
    public OutputStream stdout() {
        return stdout;
    }

    /** The process's stderr; discards in terminal mode or when containerd passed none. */
    public OutputStream stderr() {
        return stderr;
    }

    /** CloseIO with stdin: the process sees EOF on stdin. */
    public void closeStdin() throws IOException {
        if (stdin != null) {
            stdin.closeInput();
        }
    }

    /** Closes stdout and stderr once the process exited and its output was written. */
    public void closeOutputs() throws IOException {
        if (stdoutChannel != null) {
            stdoutChannel.close();
        }
        if (stderrChannel != null) {
            stderrChannel.close();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            closeStdin();
        } finally {
            closeOutputs();
        }
    }
}
