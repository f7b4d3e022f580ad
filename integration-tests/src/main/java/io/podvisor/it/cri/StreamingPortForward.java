package io.podvisor.it.cri;

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
 * The streaming half of the CRI's PortForward for one port: a WebSocket to the URL PortForward returned,
 * protocol {@code v4.channel.k8s.io}, carrying one connection to the port. Channel 0 is the connection's
 * data both ways, channel 1 the server's error text; the server starts each with the port (2 bytes, little
 * endian). The server closes the WebSocket once the connection in the pod has ended.
 */
public final class StreamingPortForward implements AutoCloseable {
    private static final String PROTOCOL = "v4.channel.k8s.io";
    private static final byte DATA = 0;

    private final HttpClient http;
    private final WebSocket socket;
    private final Listener listener;

    private StreamingPortForward(HttpClient http, WebSocket socket, Listener listener) {
        this.http = http;
        this.socket = socket;
        this.listener = listener;
    }

    /** Connects to the streaming server at {@code url} (http://... as PortForward returns it). */
    public static StreamingPortForward connect(String url, Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        Listener listener = new Listener();
        try {
            WebSocket socket = http.newWebSocketBuilder().subprotocols(PROTOCOL).connectTimeout(timeout)
                    .buildAsync(URI.create(url.replaceFirst("^http", "ws")), listener)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new StreamingPortForward(http, socket, listener);
        } catch (ExecutionException | TimeoutException e) {
            http.close();
            throw new IOException("streaming port-forward: cannot connect to " + url + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code text} to the forwarded connection. */
    public void send(String text) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        socket.sendBinary(ByteBuffer.allocate(data.length + 1).put(DATA).put(data).flip(), true).join();
    }

    /** What came back: the connection's data and the server's error text, each without its port prefix. */
    public record Result(String data, String error) {}

    /** Waits for the server to close the WebSocket, which it does once the connection in the pod ended. */
    public Result awaitClose(Duration timeout) throws IOException, InterruptedException {
        try {
            listener.closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("streaming port-forward failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("streaming port-forward: not closed within " + timeout + "; so far: "
                    + listener.result(), e);
        }
        return listener.result();
    }

    @Override
    public void close() {
        socket.abort();
        http.close();
    }

    private static final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream[] channels = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
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
                }
                if (last) {
                    current = -1;
                }
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            closed.completeExceptionally(error);
        }

        Result result() {
            synchronized (channels) {
                return new Result(withoutPort(channels[0].toByteArray()), withoutPort(channels[1].toByteArray()));
            }
        }

        private static String withoutPort(byte[] channel) {
            return channel.length < 2 ? "" : new String(channel, 2, channel.length - 2, StandardCharsets.UTF_8);
        }
    }
}
