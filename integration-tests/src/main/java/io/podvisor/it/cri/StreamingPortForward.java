package io.podvisor.it.cri;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The streaming half of the CRI's PortForward for one port: a {@link ChannelSocket} to the URL PortForward
 * returned, carrying one connection to the port. Channel 0 is the connection's data both ways, channel 1 the
 * server's error text; the server starts each with the port (2 bytes, little endian). The server closes the
 * WebSocket once the connection in the pod has ended.
 */
public final class StreamingPortForward implements AutoCloseable {
    private static final String WHAT = "streaming port-forward";
    private static final byte DATA = 0;
    private static final int ERROR = 1;

    private final ChannelSocket socket;

    private StreamingPortForward(ChannelSocket socket) {
        this.socket = socket;
    }

    /** Connects to the streaming server at {@code url} (http://... as PortForward returns it). */
    public static StreamingPortForward connect(String url, Duration timeout) throws IOException, InterruptedException {
        return new StreamingPortForward(ChannelSocket.connect(WHAT, url, ERROR + 1, timeout));
    }

    /** Writes {@code text} to the forwarded connection. */
    public void send(String text) {
        socket.send(DATA, text.getBytes(StandardCharsets.UTF_8));
    }

    /** What came back: the connection's data and the server's error text, each without its port prefix. */
    public record Result(String data, String error) {}

    /** Waits for the server to close the WebSocket, which it does once the connection in the pod ended. */
    public Result awaitClose(Duration timeout) throws IOException, InterruptedException {
        try {
            socket.closed().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException(WHAT + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(WHAT + ": not closed within " + timeout + "; so far: " + result(), e);
        }
        return result();
    }

    private Result result() {
        return new Result(withoutPort(socket.bytes(DATA)), withoutPort(socket.bytes(ERROR)));
    }

    private static String withoutPort(byte[] channel) {
        return channel.length < 2 ? "" : new String(channel, 2, channel.length - 2, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        socket.close();
    }
}
