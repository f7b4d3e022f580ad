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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A WebSocket to the CRI's streaming server with protocol {@code v4.channel.k8s.io}, as kubectl opens one for
 * exec and port-forward: every binary message starts with the number of its channel. Keeps what arrived on
 * each channel; channels from {@code channels} on are dropped.
 */
final class ChannelSocket implements AutoCloseable {
    private static final String PROTOCOL = "v4.channel.k8s.io";

    private final HttpClient http;
    private final WebSocket socket;
    private final Listener listener;

    private ChannelSocket(HttpClient http, WebSocket socket, Listener listener) {
        this.http = http;
        this.socket = socket;
        this.listener = listener;
    }

    /**
     * Connects to the streaming server at {@code url} (http://... as the CRI call returns it).
     *
     * @param what the streaming call, for errors: "streaming exec"
     */
    static ChannelSocket connect(String what, String url, int channels, Duration timeout)
            throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        Listener listener = new Listener(channels);
        try {
            WebSocket socket = http.newWebSocketBuilder().subprotocols(PROTOCOL).connectTimeout(timeout)
                    .buildAsync(URI.create(url.replaceFirst("^http", "ws")), listener)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new ChannelSocket(http, socket, listener);
        } catch (ExecutionException | TimeoutException e) {
            http.close();
            throw new IOException(what + ": cannot connect to " + url + ": " + e.getMessage(), e);
        }
    }

    void send(byte channel, byte[] data) {
        socket.sendBinary(ByteBuffer.allocate(data.length + 1).put(channel).put(data).flip(), true).join();
    }

    byte[] bytes(int channel) {
        synchronized (listener.channels) {
            return listener.channels[channel].toByteArray();
        }
    }

    String text(int channel) {
        return new String(bytes(channel), StandardCharsets.UTF_8);
    }

    /** Completes with all of {@code channel} once its first message is whole. */
    CompletableFuture<String> message(int channel) {
        return listener.messages[channel];
    }

    /** Completes with "closed (code reason)" once the server closed the socket, or fails with its error. */
    CompletableFuture<String> closed() {
        return listener.closed;
    }

    /**
     * Waits until {@code channel} holds {@code text}: false when {@code timeout} passed or {@code ended}
     * completed first.
     */
    boolean awaitText(int channel, String text, Duration timeout, Future<?> ended) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (listener.channels) {
            while (!listener.channels[channel].toString(StandardCharsets.UTF_8).contains(text)) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || ended.isDone()) {
                    return false;
                }
                listener.channels.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    @Override
    public void close() {
        socket.abort();
        http.close();
    }

    private static final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream[] channels;
        private final CompletableFuture<String>[] messages;
        private final CompletableFuture<String> closed = new CompletableFuture<>();
        private int current = -1;

        @SuppressWarnings("unchecked")
        Listener(int count) {
            channels = new ByteArrayOutputStream[count];
            messages = new CompletableFuture[count];
            for (int i = 0; i < count; i++) {
                channels[i] = new ByteArrayOutputStream();
                messages[i] = new CompletableFuture<>();
            }
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
            synchronized (channels) {
                if (current < 0 && data.hasRemaining()) {
                    current = data.get();
                }
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                boolean kept = current >= 0 && current < channels.length;
                if (kept) {
                    channels[current].writeBytes(bytes);
                    channels.notifyAll();
                }
                if (last) {
                    if (kept) {
                        messages[current].complete(channels[current].toString(StandardCharsets.UTF_8));
                    }
                    current = -1;
                }
            }
            socket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
            closed.complete("closed (" + statusCode + " " + reason + ")");
            return null;
        }

        @Override
        public void onError(WebSocket socket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
