package io.podvisor.shim.agent;

import io.podvisor.hypervisor.VmState;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The host end of the agent's readiness announcement: the agent connects to host port 1025 over
 * vsock and writes {@code READY <version>\n}; hybrid vsock delivers that to the unix socket
 * {@code <vsock socket>_1025}. Listen before boot, then {@link #await}.
 */
final class AgentReadiness implements AutoCloseable {
    static final int READY_PORT = 1025;
    private static final Duration LIVENESS_CHECK = Duration.ofMillis(250);

    private final Path socket;
    private final ServerSocketChannel server;
    private final Selector selector;

    private AgentReadiness(Path socket, ServerSocketChannel server, Selector selector) {
        this.socket = socket;
        this.server = server;
        this.selector = selector;
    }

    static AgentReadiness listen(Vmm vm) throws VmmException {
        Path socket = Path.of(vm.vsockSocket() + "_" + READY_PORT);
        try {
            Files.deleteIfExists(socket);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            server.configureBlocking(false);
            Selector selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            return new AgentReadiness(socket, server, selector);
        } catch (IOException e) {
            throw new VmmException("VM " + vm.spec().name() + ": cannot listen for the agent on " + socket
                    + ": " + e.getMessage(), e);
        }
    }

    /** Waits for the agent's announcement and returns the version it announced. */
    String await(Vmm vm, Duration timeout) throws VmmException {
        String name = vm.spec().name();
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new VmmException("VM " + name + ": the guest agent did not announce itself within "
                            + timeout.toSeconds() + " s; console (" + vm.consoleLog() + ") ends with:\n"
                            + ConsoleTail.of(vm.consoleLog()));
                }
                selector.select(Math.max(1, Math.min(left, LIVENESS_CHECK.toNanos()) / 1_000_000));
                SocketChannel conn = server.accept();
                if (conn != null) {
                    return readAnnouncement(name, conn);
                }
                requireAlive(vm);
            }
        } catch (IOException e) {
            if (e instanceof VmmException v) {
                throw v;
            }
            throw new VmmException("VM " + name + ": waiting for the guest agent failed: " + e.getMessage(), e);
        }
    }

    private static void requireAlive(Vmm vm) throws VmmException {
        boolean processGone = vm.hostProcesses().stream().anyMatch(p -> !p.isAlive());
        if (processGone || vm.state() == VmState.SHUTDOWN) {
            throw new VmmException("VM " + vm.spec().name() + " stopped before its guest agent was ready; console ("
                    + vm.consoleLog() + ") ends with:\n" + ConsoleTail.of(vm.consoleLog())
                    + vm.vmmExit().map(exit -> "\n" + exit).orElse(""));
        }
    }

    private static String readAnnouncement(String name, SocketChannel conn) throws IOException {
        try (conn) {
            conn.configureBlocking(true);
            ByteBuffer buf = ByteBuffer.allocate(256);
            while (buf.hasRemaining() && conn.read(buf) >= 0) {
                if (new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).contains("\n")) {
                    break;
                }
            }
            String line = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
            if (!line.startsWith("READY ")) {
                throw new VmmException("VM " + name + ": the guest agent announced \"" + line
                        + "\" instead of READY <version>");
            }
            return line.substring("READY ".length()).strip();
        }
    }

    @Override
    public void close() {
        try {
            selector.close();
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // best effort: the run directory goes away with the VM
        }
    }
}
