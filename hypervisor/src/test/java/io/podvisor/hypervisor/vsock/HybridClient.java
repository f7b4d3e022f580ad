package io.podvisor.hypervisor.vsock;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import io.podvisor.hypervisor.vsock.muxer.ConnectLine;

/**
 * The host's end of the hybrid vsock handshake for tests of the backend (the shim's HybridVsock is the real
 * client): connects to the hybrid socket, writes {@code CONNECT <port>}, waits for {@code OK <n>}.
 */
final class HybridClient {
    private HybridClient() {
    }

    /** The stream to guest port {@code port}, blocking, right after the OK line; IOException if refused. */
    static SocketChannel connect(Path hybridSocket, int port, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        boolean done = false;
        try {
            channel.connect(UnixDomainSocketAddress.of(hybridSocket));
            channel.write(ByteBuffer.wrap(ConnectLine.connect(port).getBytes(StandardCharsets.US_ASCII)));
            String line = readLine(channel, port, deadline);
            try {
                ConnectLine.parseOk(line);
            } catch (IllegalArgumentException e) {
                throw new IOException("CONNECT " + port + " answered \"" + ConnectLine.printable(line) + "\"", e);
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

    private static String readLine(SocketChannel channel, int port, long deadline) throws IOException {
        channel.configureBlocking(false);
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_READ);
            while (true) {
                one.clear();
                int n = channel.read(one);
                if (n < 0) {
                    throw new IOException("guest vsock port " + port + " refused the connection (closed without OK)");
                }
                if (n == 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IOException("no answer to CONNECT " + port);
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
                    throw new IOException("answer to CONNECT " + port + " longer than " + ConnectLine.MAX_LENGTH);
                }
                line.append(c);
            }
        }
    }
}
