package io.podvisor.it.cri;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The streaming half of the CRI's Exec, as kubectl exec drives it: a WebSocket to the URL Exec
 * returned, protocol {@code v4.channel.k8s.io}. Every binary message starts with its channel: 0
 * stdin, 1 stdout, 2 stderr, 3 the final status (JSON), 4 terminal resize (JSON).
 */
public final class StreamingExec implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROTOCOL = "v4.channel.k8s.io";
    private static final byte STDIN = 0;
    private static final byte RESIZE = 4;

    private final HttpClient http;
    private final WebSocket socket;
    private final Listener listener;

    private StreamingExec(HttpClient http, WebSocket socket, Listener listener) {
        this.http = http;
        this.socket = socket;
        this.listener = listener;
    }

    /** Connects to the streaming server at {@code url} (http://... as Exec returns it). */
    public static StreamingExec connect(String url, Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        Listener listener = new Listener();
        try {
            WebSocket socket = http.newWebSocketBuilder().subprotocols(PROTOCOL).connectTimeout(timeout)
                    .buildAsync(URI.create(url.replaceFirst("^http", "ws")), listener)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new StreamingExec(http, socket, listener);
        } catch (ExecutionException | TimeoutException e) {
            http.close();
            throw new IOException("streaming exec: cannot connect to " + url + ": " + e.getMessage(), e);
        }
    }

    public void stdin(String text) {
        send(STDIN, text.getBytes(StandardCharsets.UTF_8));
    }

    public void resize(int columns, int rows) {
        send(RESIZE, ("{\"Width\":" + columns + ",\"Height\":" + rows + "}").getBytes(StandardCharsets.UTF_8));
    }

    private void send(byte channel, byte[] data) {
        ByteBuffer message = ByteBuffer.allocate(data.length + 1).put(channel).put(data).flip();
        socket.sendBinary(message, true).join();
    }

    /** Waits until stdout holds {@code text}, for a stream that stays open. */
    public void awaitStdout(String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (listener.channels) {
            while (!listener.text(1).contains(text)) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || listener.status.isDone()) {
                    throw new IOException("streaming exec: no \"" + text + "\" on stdout within " + timeout
                            + "; so far: " + listener.text(1) + listener.text(2));
                }
                listener.channels.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** What came back once the process ended: its output and exit code. */
    public record Result(String stdout, String stderr, int exitCode) {}

    /** Waits for the final status the server sends when the process has ended. */
    public Result await(Duration timeout) throws IOException, InterruptedException {
        try {
            JsonNode status = JSON.readTree(listener.status.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
            return new Result(listener.text(1), listener.text(2), exitCode(status));
        } catch (ExecutionException e) {
            throw new IOException("streaming exec failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("streaming exec: no final status within " + timeout + "; output so far: "
                    + listener.text(1) + listener.text(2), e);
        }
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
        throw new IOException("streaming exec ended with " + status);
    }

    @Override
    public void close() {
        socket.abort();
        http.close();
    }

    private static final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream[] channels = {new ByteArrayOutputStream(), new ByteArrayOutputStream(),
                new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        private final CompletableFuture<String> status = new CompletableFuture<>();
        private int current = -1;

        @Override
        public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
            synchronized (channels) {
                if (current < 0 && data.hasRemaining()) {
                    current = data.get();
                }
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                if (current >= 0 && current < channels.length) {
                    channels[current].writeBytes(bytes);
                    channels.notifyAll();
                }
                if (last) {
                    if (current == 3) {
                        status.complete(channels[3].toString(StandardCharsets.UTF_8));
                    }
                    current = -1;
                }
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            status.completeExceptionally(new IOException("closed (" + statusCode + " " + reason + ") without a status"));
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            status.completeExceptionally(error);
        }

        String text(int channel) {
            synchronized (channels) {
                return channels[channel].toString(StandardCharsets.UTF_8);
            }
        }
    }
}
