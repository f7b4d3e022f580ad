package io.podvisor.it.cri;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The streaming half of the CRI's Exec, as kubectl exec drives it: a {@link ChannelSocket} to the URL Exec
 * returned. Channels: 0 stdin, 1 stdout, 2 stderr, 3 the final status (JSON), 4 terminal resize (JSON).
 */
public final class StreamingExec implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WHAT = "streaming exec";
    private static final byte STDIN = 0;
    private static final int STDOUT = 1;
    private static final int STDERR = 2;
    private static final int STATUS = 3;
    private static final byte RESIZE = 4;

    private final ChannelSocket socket;

    private StreamingExec(ChannelSocket socket) {
        this.socket = socket;
    }

    /** Connects to the streaming server at {@code url} (http://... as Exec returns it). */
    public static StreamingExec connect(String url, Duration timeout) throws IOException, InterruptedException {
        return new StreamingExec(ChannelSocket.connect(WHAT, url, STATUS + 1, timeout));
    }

    public void stdin(String text) {
        socket.send(STDIN, text.getBytes(StandardCharsets.UTF_8));
    }

    public void resize(int columns, int rows) {
        socket.send(RESIZE, ("{\"Width\":" + columns + ",\"Height\":" + rows + "}").getBytes(StandardCharsets.UTF_8));
    }

    /** Waits until stdout holds {@code text}, for a stream that stays open. */
    public void awaitStdout(String text, Duration timeout) throws IOException, InterruptedException {
        if (!socket.awaitText(STDOUT, text, timeout, socket.message(STATUS))) {
            throw new IOException(WHAT + ": no \"" + text + "\" on stdout within " + timeout + "; so far: "
                    + socket.text(STDOUT) + socket.text(STDERR));
        }
    }

    /** What came back once the process ended: its output and exit code. */
    public record Result(String stdout, String stderr, int exitCode) {}

    /** Waits for the final status the server sends when the process has ended. */
    public Result await(Duration timeout) throws IOException, InterruptedException {
        CompletableFuture<String> status = socket.message(STATUS);
        try {
            CompletableFuture.anyOf(status, socket.closed()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException(WHAT + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(WHAT + ": no final status within " + timeout + "; output so far: "
                    + socket.text(STDOUT) + socket.text(STDERR), e);
        }
        if (!status.isDone()) {
            throw new IOException(WHAT + " failed: " + socket.closed().join() + " without a status");
        }
        return new Result(socket.text(STDOUT), socket.text(STDERR), exitCode(JSON.readTree(status.join())));
    }

    /** Success is exit code 0; a non-zero exit comes as a failure whose cause "ExitCode" holds the code. */
    private static int exitCode(JsonNode status) throws IOException {
        if (status.path("status").asText().equals("Success")) {
            return 0;
        }
        for (JsonNode cause : status.path("details").path("causes")) {
            if (cause.path("reason").asText().equals("ExitCode")) {
                return Integer.parseInt(cause.path("message").asText());
            }
        }
        throw new IOException(WHAT + " ended with " + status);
    }

    @Override
    public void close() {
        socket.close();
    }
}
