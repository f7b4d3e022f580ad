package io.podvisor.hypervisor.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.podvisor.hypervisor.VmState;
import io.podvisor.hypervisor.VmmException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A QEMU Machine Protocol client: one JSON object per line each way. After the greeting and
 * {@code qmp_capabilities}, each command carries an id and its reply is matched by it; events
 * are ignored (state is asked for, not tracked).
 */
final class QmpClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String vmName;
    private final SocketChannel channel;
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile String closedBecause;

    private QmpClient(String vmName, SocketChannel channel) {
        this.vmName = vmName;
        this.channel = channel;
        Thread.ofVirtual().name("qmp-" + vmName).start(this::readLoop);
    }

    /**
     * Connects and negotiates capabilities. The socket file appears at bind(), a moment before
     * QEMU listens, so a refused connection is retried while {@code serverAlive} holds.
     */
    static QmpClient connect(String vmName, Path socket, BooleanSupplier serverAlive, Duration timeout)
            throws VmmException {
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel ch = null;
        while (ch == null) {
            SocketChannel attempt = null;
            try {
                attempt = SocketChannel.open(StandardProtocolFamily.UNIX);
                attempt.connect(UnixDomainSocketAddress.of(socket));
                ch = attempt;
            } catch (ConnectException e) {
                closeQuietly(attempt);
                if (!serverAlive.getAsBoolean() || System.nanoTime() > deadline) {
                    throw new VmmException("VM " + vmName + ": cannot connect to QMP socket " + socket + ": "
                            + e.getMessage(), e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            } catch (IOException e) {
                closeQuietly(attempt);
                throw new VmmException("VM " + vmName + ": cannot connect to QMP socket " + socket + ": "
                        + e.getMessage(), e);
            }
        }
        QmpClient client = new QmpClient(vmName, ch);
        try {
            JsonNode hello = client.await(client.greeting, "greeting", remaining(deadline));
            if (!hello.has("QMP")) {
                throw new VmmException("VM " + vmName + ": " + socket + " did not greet as QMP: " + hello);
            }
            client.execute("qmp_capabilities", null, remaining(deadline));
            return client;
        } catch (VmmException e) {
            client.close();
            throw e;
        }
    }

    /** Runs {@code command} and returns its "return" value; a QMP error becomes a VmmException. */
    JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) throws VmmException {
        String id = Long.toString(ids.incrementAndGet());
        ObjectNode message = JSON.createObjectNode().put("execute", command).put("id", id);
        if (arguments != null) {
            message.set("arguments", JSON.valueToTree(arguments));
        }
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            if (closedBecause != null) {
                throw new VmmException("VM " + vmName + ": QMP " + command + " failed: " + closedBecause);
            }
            send(message);
            JsonNode answer = await(reply, command, timeout);
            if (answer.has("error")) {
                JsonNode error = answer.get("error");
                throw new VmmException("VM " + vmName + ": QMP " + command + " failed: "
                        + error.path("class").asText() + ": " + error.path("desc").asText());
            }
            return answer.path("return");
        } finally {
            pending.remove(id);
        }
    }

    /** query-status as a {@link VmState}. */
    VmState status(Duration timeout) throws VmmException {
        return toVmState(execute("query-status", null, timeout).path("status").asText());
    }

    /** QEMU's RunState names mapped to the driver-neutral states. */
    static VmState toVmState(String runState) {
        return switch (runState) {
            case "running" -> VmState.RUNNING;
            case "prelaunch", "inmigrate" -> VmState.CREATED;
            case "shutdown", "guest-panicked", "internal-error" -> VmState.SHUTDOWN;
            default -> VmState.PAUSED;
        };
    }

    private synchronized void send(JsonNode message) throws VmmException {
        ByteBuffer bytes = ByteBuffer.wrap((message + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            throw new VmmException("VM " + vmName + ": cannot write to QMP: " + e.getMessage(), e);
        }
    }

    private JsonNode await(CompletableFuture<JsonNode> reply, String what, Duration timeout) throws VmmException {
        try {
            return reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new VmmException("VM " + vmName + ": QEMU did not answer QMP " + what + " within "
                    + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new VmmException("VM " + vmName + ": QMP " + what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("VM " + vmName + ": interrupted waiting for QMP " + what, e);
        }
    }

    private void readLoop() {
        String why = "QEMU closed the QMP connection";
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    dispatch(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            why = closedBecause != null ? closedBecause : "QMP connection failed: " + e.getMessage();
        }
        fail(why);
    }

    private void dispatch(JsonNode message) {
        if (message.has("QMP")) {
            greeting.complete(message);
        } else if (message.has("return") || message.has("error")) {
            CompletableFuture<JsonNode> reply = pending.get(message.path("id").asText());
            if (reply != null) {
                reply.complete(message);
            }
        }
    }

    private void fail(String why) {
        if (closedBecause == null) {
            closedBecause = why;
        }
        IOException cause = new IOException(closedBecause);
        greeting.completeExceptionally(cause);
        pending.values().forEach(f -> f.completeExceptionally(cause));
    }

    @Override
    public void close() {
        if (closedBecause == null) {
            closedBecause = "the QMP client was closed";
        }
        closeQuietly(channel);
        fail(closedBecause);
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // Nothing to do about a socket that will not close.
            }
        }
    }
}
