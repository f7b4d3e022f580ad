package io.podvisor.shim.agent;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.netty.channel.ChannelHandler;
import io.podvisor.hypervisor.vsock.muxer.ConnectLine;

/**
 * The host side of hybrid vsock (Cloud Hypervisor, Firecracker, and {@link io.podvisor.hypervisor.vsock.VhostUserVsockBackend}):
 * connect to the VM's vsock unix socket, write {@code CONNECT <port>\n}, read {@code OK <hostport>\n};
 * from then on the stream is the guest's port.
 */
public final class HybridVsock {
    /** How long {@link #handshakeHandler(int)} waits for the OK line. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private HybridVsock() {
    }

    /**
     * Blocking: connects to the hybrid socket, does {@code CONNECT <port>\n} / {@code OK <n>\n},
     * returns the stream (in blocking mode, positioned right after the OK line).
     *
     * @throws IOException naming the socket and the port: no such socket (VM not running), refused,
     *                     or no OK (the guest port is not listening), or no answer within {@code timeout}
     */
    public static SocketChannel connect(Path hybridSocket, int port, Duration timeout) throws IOException {
        if (port < 0) {
            throw new IllegalArgumentException("vsock port " + port + " is negative");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        boolean done = false;
        try {
            try {
                channel.connect(UnixDomainSocketAddress.of(hybridSocket));
            } catch (IOException e) {
                if (!Files.exists(hybridSocket)) {
                    throw new IOException("hybrid vsock socket " + hybridSocket + " does not exist: is the VM running?", e);
                }
                throw new IOException("cannot connect to hybrid vsock socket " + hybridSocket + " (" + e.getMessage()
                        + "): the VM's vsock device is not serving", e);
            }
            channel.write(ByteBuffer.wrap(ConnectLine.connect(port).getBytes(StandardCharsets.US_ASCII)));
            String line = readLine(channel, hybridSocket, port, deadline, timeout);
            try {
                ConnectLine.parseOk(line);
            } catch (IllegalArgumentException e) {
                throw new IOException("hybrid vsock socket " + hybridSocket + " answered CONNECT " + port
                        + " with \"" + ConnectLine.printable(line) + "\" instead of OK <port>", e);
            }
            channel.configureBlocking(true);
            done = true;
            return channel;
        } finally {
            if (!done) {
                channel.close();
            }
        }
    }

    private static String readLine(SocketChannel channel, Path socket, int port, long deadline, Duration timeout)
            throws IOException {
        channel.configureBlocking(false);
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_READ);
            while (true) {
                one.clear();
                int n = channel.read(one);
                if (n < 0) {
                    throw new IOException("guest port " + port + " behind " + socket
                            + " refused the connection: is anything listening on vsock port " + port + " in the guest?");
                }
                if (n == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IOException("no answer to CONNECT " + port + " from hybrid vsock socket " + socket
                                + " within " + timeout.toMillis() + " ms");
                    }
                    selector.select(Math.max(1, left / 1_000_000));
                    selector.selectedKeys().clear();
                    continue;
                }
                char c = (char) (one.get(0) & 0xff);
                if (c == '\n') {
                    return line.toString();
                }
                if (line.length() >= ConnectLine.MAX_LENGTH) {
                    throw new IOException("hybrid vsock socket " + socket + " answered CONNECT " + port
                            + " with a line longer than " + ConnectLine.MAX_LENGTH + " bytes: \""
                            + ConnectLine.printable(line.toString()) + "\"");
                }
                line.append(c);
            }
        }
    }

    /**
     * A Netty handler to put first in a client pipeline (for example on an
     * {@code EpollDomainSocketChannel} that grpc-netty creates): on channelActive it writes
     * {@code CONNECT <port>\n} and holds channelActive (and outbound writes) back until OK arrives,
     * then removes itself and passes on any bytes after the OK line. A bad or missing answer fails
     * the channel with an exception that names the port.
     */
    public static ChannelHandler handshakeHandler(int port) {
        if (port < 0) {
            throw new IllegalArgumentException("vsock port " + port + " is negative");
        }
        return new HybridHandshakeHandler(port, HANDSHAKE_TIMEOUT);
    }
}
