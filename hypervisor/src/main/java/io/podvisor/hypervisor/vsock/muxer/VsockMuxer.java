package io.podvisor.hypervisor.vsock.muxer;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.podvisor.hypervisor.vsock.connection.BufferBudget;
import io.podvisor.hypervisor.vsock.connection.VsockConnection;
import io.podvisor.hypervisor.vsock.packet.RxBuffer;
import io.podvisor.hypervisor.vsock.packet.TxPacket;
import io.podvisor.hypervisor.vsock.packet.VsockHeader;
import io.podvisor.hypervisor.vsock.virtq.GuestFaultLog;

/**
 * The host side of the vsock device, Cloud Hypervisor's hybrid flavour: host clients connect to
 * one unix socket and say {@code CONNECT <guest port>}; guest connections to the host (CID 2)
 * port P go to the unix socket {@code <hybrid socket>_P}. Maps each (host port, guest port) pair
 * to its {@link VsockConnection} and decides which packet the guest gets next.
 * Runs on the device thread only.
 */
public final class VsockMuxer implements AutoCloseable {
    static final Duration CONNECT_LINE_TIMEOUT = Duration.ofSeconds(10);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Host ports handed to host-initiated connections start here, far from guest-chosen ones. */
    public static final int FIRST_LOCAL_PORT = 1 << 30;
    private static final int MAX_CONTROL_PACKETS = 4096;
    /** Connections one VM may have open at once, host- and guest-initiated together. */
    public static final int MAX_CONNECTIONS = 256;
    /** Guest-to-host bytes one VM's connections may buffer for host sockets that do not keep up. */
    public static final long MAX_BUFFERED_BYTES = 4L << 20;
    /** Non-blocking clients (Netty) get EAGAIN, not a wait, when the backlog is full. */
    private static final int LISTEN_BACKLOG = 512;

    private static final System.Logger LOG = System.getLogger(VsockMuxer.class.getName());

    private final String vmName;
    private final long guestCid;
    private final Path hybridSocket;
    private final Selector selector;
    private final GuestFaultLog faults;
    private final BufferBudget buffers = new BufferBudget(MAX_BUFFERED_BYTES);
    private ServerSocketChannel listener;
    /** Why host clients are refused at once (the device is broken), or null. */
    private String refusal;
    private final Map<Long, VsockConnection> connections = new HashMap<>();
    private final Set<VsockConnection> connecting = new LinkedHashSet<>();
    private final Set<HandshakeReader> handshakes = new LinkedHashSet<>();
    private final ArrayDeque<VsockConnection> rxQueue = new ArrayDeque<>();
    private final ArrayDeque<VsockHeader> controlQueue = new ArrayDeque<>();
    private int nextLocalPort = FIRST_LOCAL_PORT;

    public VsockMuxer(String vmName, long guestCid, Path hybridSocket, Selector selector, GuestFaultLog faults) {
        this.faults = faults;
        this.vmName = vmName;
        this.guestCid = guestCid;
        this.hybridSocket = hybridSocket;
        this.selector = selector;
    }

    /** Starts listening on the hybrid socket (replacing a stale socket file). */
    public void listen() throws IOException {
        Files.deleteIfExists(hybridSocket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(hybridSocket), LISTEN_BACKLOG);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT, this);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        listener = server;
    }

    public int connectionCount() {
        return connections.size();
    }

    /** Guest-to-host bytes the VM's connections hold in host memory now. */
    public long bufferedBytes() {
        return buffers.used();
    }

    /** Refuses host clients at once with {@code reason} (the guest cannot answer them), or stops refusing (null). */
    public void refuseHostClients(String reason) {
        refusal = reason;
    }

    // ---- host side events ----

    /** Dispatches a selected key whose attachment belongs to the muxer. */
    public void onSelected(SelectionKey key) {
        Object attachment = key.attachment();
        if (attachment == this) {
            acceptClients();
        } else if (attachment instanceof HandshakeReader reader) {
            reader.onReadable();
        } else if (attachment instanceof VsockConnection c) {
            if (!key.isValid()) {
                return;
            }
            if (key.isConnectable()) {
                c.onHostConnectable();
            } else {
                if (key.isWritable()) {
                    c.onHostWritable();
                }
                if (key.isReadable()) {
                    c.onHostReadable();
                }
            }
            afterEvent(c);
        }
    }

    private void acceptClients() {
        while (true) {
            SocketChannel client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "vm {0}: accepting a hybrid vsock client on {1} failed: {2}",
                        vmName, hybridSocket, e.getMessage());
                return;
            }
            if (client == null) {
                return;
            }
            try {
                client.configureBlocking(false);
                HandshakeReader reader = new HandshakeReader(client, deadline(CONNECT_LINE_TIMEOUT));
                client.register(selector, SelectionKey.OP_READ, reader);
                handshakes.add(reader);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /** Reads a client's CONNECT line byte by byte, so bytes after it stay in the socket for the guest. */
    private final class HandshakeReader {
        final SocketChannel client;
        final long deadline;
        final ByteBuffer one = ByteBuffer.allocate(1);
        final StringBuilder line = new StringBuilder();

        HandshakeReader(SocketChannel client, long deadline) {
            this.client = client;
            this.deadline = deadline;
        }

        void onReadable() {
            try {
                while (true) {
                    one.clear();
                    int n = client.read(one);
                    if (n == 0) {
                        return;
                    }
                    if (n < 0) {
                        fail("client closed before sending CONNECT");
                        return;
                    }
                    char c = (char) (one.get(0) & 0xff);
                    if (c == '\n') {
                        break;
                    }
                    if (line.length() >= ConnectLine.MAX_LENGTH) {
                        fail("CONNECT line longer than " + ConnectLine.MAX_LENGTH + " bytes");
                        return;
                    }
                    line.append(c);
                }
            } catch (IOException e) {
                fail("reading CONNECT failed: " + e.getMessage());
                return;
            }
            int port;
            try {
                port = ConnectLine.parseConnect(line.toString());
            } catch (IllegalArgumentException e) {
                fail("bad CONNECT line: " + e.getMessage());
                return;
            }
            handshakes.remove(this);
            hostConnect(client, port);
        }

        void fail(String reason) {
            LOG.log(Level.DEBUG, "vm {0}: hybrid vsock client dropped: {1}", vmName, reason);
            handshakes.remove(this);
            closeQuietly(client);
        }
    }

    private void hostConnect(SocketChannel client, int guestPort) {
        String refused = refusal != null ? refusal
                : connections.size() >= MAX_CONNECTIONS ? "it has " + MAX_CONNECTIONS + " connections open, the most a VM may"
                : null;
        if (refused != null) {
            LOG.log(Level.WARNING, "vm {0}: host client for guest port {1} refused: {2}", vmName,
                    Integer.toUnsignedString(guestPort), refused);
            closeQuietly(client);
            return;
        }
        int localPort = allocateLocalPort(guestPort);
        VsockConnection c = VsockConnection.hostInitiated(guestCid, localPort, guestPort, client,
                deadline(CONNECT_TIMEOUT), buffers);
        connections.put(key(localPort, guestPort), c);
        connecting.add(c);
        try {
            client.keyFor(selector).attach(c);
        } catch (RuntimeException e) {
            c.close("client socket gone", false);
        }
        LOG.log(Level.DEBUG, "vm {0}: host connects to guest port {1} as host port {2}", vmName,
                Integer.toUnsignedString(guestPort), Integer.toUnsignedString(localPort));
        afterEvent(c);
    }

    private int allocateLocalPort(int guestPort) {
        while (true) {
            int port = nextLocalPort;
            nextLocalPort = nextLocalPort == -2 ? FIRST_LOCAL_PORT : nextLocalPort + 1;
            if (!connections.containsKey(key(port, guestPort))) {
                return port;
            }
        }
    }

    // ---- guest side events ----

    /** A packet the guest sent. */
    public void onGuestPacket(TxPacket packet) {
        VsockHeader h = packet.header();
        if (h.srcCid() != guestCid) {
            faults.warn(() -> "dropped a packet from CID " + Long.toUnsignedString(h.srcCid()) + ", the guest is CID "
                    + guestCid + ": " + h);
            return;
        }
        if (h.type() != VsockHeader.TYPE_STREAM || h.dstCid() != VsockHeader.HOST_CID) {
            resetPeer(h);
            return;
        }
        VsockConnection c = connections.get(key(h.dstPort(), h.srcPort()));
        if (c == null) {
            if (h.op() == VsockHeader.OP_REQUEST) {
                guestConnect(h);
            } else {
                resetPeer(h);
            }
            return;
        }
        c.onGuestPacket(packet);
        afterEvent(c);
    }

    private void guestConnect(VsockHeader request) {
        if (connections.size() >= MAX_CONNECTIONS) {
            faults.warn(() -> "guest connection to host port " + Integer.toUnsignedString(request.dstPort())
                    + " refused: " + MAX_CONNECTIONS + " connections are open, the most a VM may");
            resetPeer(request);
            return;
        }
        Path target = Path.of(hybridSocket + "_" + Integer.toUnsignedString(request.dstPort()));
        SocketChannel host = null;
        boolean connected;
        try {
            host = SocketChannel.open(StandardProtocolFamily.UNIX);
            host.configureBlocking(false);
            connected = host.connect(UnixDomainSocketAddress.of(target));
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "vm {0}: guest port {1} connect to {2} refused: {3}", vmName,
                    Integer.toUnsignedString(request.srcPort()), target, e.toString());
            closeQuietly(host);
            resetPeer(request);
            return;
        }
        VsockConnection c = VsockConnection.guestInitiated(request, host, connected, deadline(CONNECT_TIMEOUT),
                buffers);
        try {
            host.register(selector, 0, c);
        } catch (ClosedChannelException e) {
            c.close("host socket closed", true);
        }
        connections.put(key(c.localPort, c.peerPort), c);
        if (!connected) {
            connecting.add(c);
        }
        LOG.log(Level.DEBUG, "vm {0}: guest port {1} connects to {2}", vmName,
                Integer.toUnsignedString(request.srcPort()), target);
        afterEvent(c);
    }

    /** Answers a packet nobody will take with RST (never answers an RST). */
    private void resetPeer(VsockHeader h) {
        if (h.op() == VsockHeader.OP_RST) {
            return;
        }
        queueControl(new VsockHeader(VsockHeader.HOST_CID, h.srcCid(), h.dstPort(), h.srcPort(), 0,
                h.type(), VsockHeader.OP_RST, 0, 0, 0));
    }

    private void queueControl(VsockHeader h) {
        if (controlQueue.size() >= MAX_CONTROL_PACKETS) {
            faults.warn(() -> "the guest does not take packets; dropped " + h);
            return;
        }
        controlQueue.add(h);
    }

    /** After anything happened to {@code c}: retire it, queue it for RX, set its socket interest. */
    private void afterEvent(VsockConnection c) {
        if (c.isClosed()) {
            retire(c);
            return;
        }
        if (c.state() != VsockConnection.State.CONNECTING_TO_GUEST
                && c.state() != VsockConnection.State.CONNECTING_TO_HOST) {
            connecting.remove(c);
        }
        if (c.hasPendingRx() && !c.queued) {
            c.queued = true;
            rxQueue.add(c);
        }
        SelectionKey key = c.host().keyFor(selector);
        if (key != null && key.isValid()) {
            key.interestOps(c.interestOps());
        }
    }

    private void retire(VsockConnection c) {
        if (connections.get(key(c.localPort, c.peerPort)) != c) {
            return;
        }
        connections.remove(key(c.localPort, c.peerPort));
        connecting.remove(c);
        closeQuietly(c.host());
        if (c.resetGuest()) {
            queueControl(new VsockHeader(VsockHeader.HOST_CID, guestCid, c.localPort, c.peerPort, 0,
                    VsockHeader.TYPE_STREAM, VsockHeader.OP_RST, 0, 0, 0));
        }
        LOG.log(Level.DEBUG, "vm {0}: connection {1} closed: {2}", vmName, c, c.closeReason());
    }

    // ---- packets for the guest ----

    public boolean hasPendingRx() {
        return !controlQueue.isEmpty() || !rxQueue.isEmpty();
    }

    /** Writes the next packet for the guest into {@code buffer}; returns its length, or 0 if none. */
    public int fillRx(RxBuffer buffer) {
        VsockHeader control = controlQueue.poll();
        if (control != null) {
            return buffer.writeHeader(control);
        }
        while (!rxQueue.isEmpty()) {
            VsockConnection c = rxQueue.poll();
            c.queued = false;
            if (c.isClosed()) {
                continue;
            }
            int written = c.fillRx(buffer);
            afterEvent(c);
            if (written > 0) {
                return written;
            }
        }
        // A connection closed while filling may have queued an RST.
        control = controlQueue.poll();
        return control == null ? 0 : buffer.writeHeader(control);
    }

    // ---- time and lifecycle ----

    static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    /** Nanoseconds until the nearest connect deadline, or -1 if none. */
    public long nanosToNextDeadline() {
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        for (VsockConnection c : connecting) {
            next = Math.min(next, c.connectDeadline - now);
        }
        for (HandshakeReader r : handshakes) {
            next = Math.min(next, r.deadline - now);
        }
        return next == Long.MAX_VALUE ? -1 : Math.max(0, next);
    }

    /** Times out connects and handshakes whose deadline passed. */
    public void expireDeadlines() {
        long now = System.nanoTime();
        for (VsockConnection c : List.copyOf(connecting)) {
            if (now - c.connectDeadline >= 0) {
                LOG.log(Level.INFO, "vm {0}: connection {1} timed out connecting ({2})", vmName, c,
                        c.state() == VsockConnection.State.CONNECTING_TO_GUEST
                                ? "the guest did not answer the REQUEST" : "the host socket did not accept");
                c.onConnectTimeout();
                afterEvent(c);
            }
        }
        for (HandshakeReader r : List.copyOf(handshakes)) {
            if (now - r.deadline >= 0) {
                r.fail("no CONNECT line within " + CONNECT_LINE_TIMEOUT.toSeconds() + " s");
            }
        }
    }

    /** The guest's driver went away (device stopped or reset): every stream ends, no packets are owed. */
    public void resetGuestSide() {
        if (!connections.isEmpty()) {
            LOG.log(Level.INFO, "vm {0}: vsock device stopped; closing {1} connection(s)", vmName, connections.size());
        }
        for (VsockConnection c : new ArrayList<>(connections.values())) {
            c.close("vsock device stopped", false);
            closeQuietly(c.host());
        }
        connections.clear();
        connecting.clear();
        rxQueue.clear();
        controlQueue.clear();
    }

    @Override
    public void close() {
        resetGuestSide();
        for (HandshakeReader r : List.copyOf(handshakes)) {
            closeQuietly(r.client);
        }
        handshakes.clear();
        closeQuietly(listener);
        try {
            Files.deleteIfExists(hybridSocket);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "vm {0}: cannot remove {1}: {2}", vmName, hybridSocket, e.getMessage());
        }
    }

    private static long key(int localPort, int peerPort) {
        return (Integer.toUnsignedLong(localPort) << 32) | Integer.toUnsignedLong(peerPort);
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException ignored) {
            // Nothing to do about a failed close of a socket we drop.
        }
    }
}
