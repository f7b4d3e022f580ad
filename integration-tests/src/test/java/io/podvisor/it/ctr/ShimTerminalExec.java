package io.podvisor.it.ctr;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.podvisor.proto.containerd.task.v2.DeleteRequest;
import io.podvisor.proto.containerd.task.v2.DeleteResponse;
import io.podvisor.proto.containerd.task.v2.ExecProcessRequest;
import io.podvisor.proto.containerd.task.v2.ResizePtyRequest;
import io.podvisor.proto.containerd.task.v2.StartRequest;
import io.podvisor.proto.containerd.task.v2.StartResponse;
import io.podvisor.proto.containerd.task.v2.WaitRequest;
import io.podvisor.proto.containerd.task.v2.WaitResponse;
import io.podvisor.shim.ttrpc.TtrpcClient;
import io.podvisor.shim.ttrpc.TtrpcException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An exec with a terminal, driven through a shim's Task API the way containerd drives it (Exec, ResizePty,
 * Start, Wait, Delete over ttrpc; stdin and the terminal's output through FIFOs), with no client of its own that
 * resizes the terminal behind the test's back.
 */
final class ShimTerminalExec implements AutoCloseable {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final String PROCESS_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/Process";
    private static final String END = "\0end";

    private final TtrpcClient shim;
    private final String service;
    private final String containerId;
    private final String execId;
    private final FileChannel stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private boolean ended;

    private ShimTerminalExec(TtrpcClient shim, String service, String containerId, String execId, FileChannel stdin) {
        this.shim = shim;
        this.service = service;
        this.containerId = containerId;
        this.execId = execId;
        this.stdin = stdin;
    }

    /** Creates the exec (not started) of {@code process}, an OCI process object with terminal true. */
    static ShimTerminalExec create(TtrpcClient shim, String service, String containerId, String execId,
            ObjectNode process, Path fifoDir) throws IOException, TtrpcException {
        Files.createDirectories(fifoDir);
        Path in = mkfifo(fifoDir.resolve(execId + "-stdin"));
        Path out = mkfifo(fifoDir.resolve(execId + "-stdout"));
        // Read-write: never blocks, and the shim's reader opens at once whenever it comes.
        FileChannel stdin = FileChannel.open(in, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ShimTerminalExec exec = new ShimTerminalExec(shim, service, containerId, execId, stdin);
        shim.call(service, "Exec", ExecProcessRequest.newBuilder().setId(containerId).setExecId(execId)
                .setTerminal(true).setStdin(in.toString()).setStdout(out.toString())
                .setSpec(Any.newBuilder().setTypeUrl(PROCESS_TYPE)
                        .setValue(ByteString.copyFromUtf8(process.toString())))
                .build(), Empty.parser(), CALL_TIMEOUT);
        // The shim holds the output FIFO open from Exec on, so this open returns at once.
        InputStream output = Files.newInputStream(out);
        Thread.ofPlatform().daemon().name("exec-" + execId + "-output").start(() -> exec.readLines(output));
        return exec;
    }

    private static Path mkfifo(Path path) throws IOException {
        try {
            Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", path.toString()).redirectErrorStream(true).start();
            String message = new String(mkfifo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (mkfifo.waitFor() != 0) {
                throw new IOException("mkfifo " + path + ": " + message);
            }
            return path;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted making " + path, e);
        }
    }

    private void readLines(InputStream output) {
        try (output) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = output.read()) >= 0) {
                if (b == '\n') {
                    lines.add(line.toString(StandardCharsets.UTF_8).replace("\r", ""));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
            if (line.size() > 0) {
                lines.add(line.toString(StandardCharsets.UTF_8).replace("\r", ""));
            }
        } catch (IOException e) {
            lines.add("(reading the terminal failed: " + e + ")");
        } finally {
            lines.add(END);
        }
    }

    void resize(int width, int height) throws TtrpcException {
        shim.call(service, "ResizePty", ResizePtyRequest.newBuilder().setId(containerId).setExecId(execId)
                .setWidth(width).setHeight(height).build(), Empty.parser(), CALL_TIMEOUT);
    }

    int start() throws TtrpcException {
        return shim.call(service, "Start", StartRequest.newBuilder().setId(containerId).setExecId(execId).build(),
                StartResponse.parser(), CALL_TIMEOUT).getPid();
    }

    void type(String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            stdin.write(bytes);
        }
    }

    /** The next line of the terminal that is a size as {@code stty size} prints it ("rows columns"), if any. */
    Optional<String> nextSize(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ended) {
            String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                return Optional.empty();
            }
            if (line.equals(END)) {
                ended = true;
                break;
            }
            seen.add(line);
            if (line.strip().matches("\\d+ \\d+")) {
                return Optional.of(line.strip());
            }
        }
        return Optional.empty();
    }

    /** What the terminal showed so far, for failure messages. */
    String shown() {
        return String.join("\n", seen);
    }

    /** Waits for the exec's exit and deletes it; returns its exit status. */
    int awaitExit() throws TtrpcException {
        int status = shim.call(service, "Wait", WaitRequest.newBuilder().setId(containerId).setExecId(execId).build(),
                WaitResponse.parser(), CALL_TIMEOUT).getExitStatus();
        shim.call(service, "Delete", DeleteRequest.newBuilder().setId(containerId).setExecId(execId).build(),
                DeleteResponse.parser(), CALL_TIMEOUT);
        return status;
    }

    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
