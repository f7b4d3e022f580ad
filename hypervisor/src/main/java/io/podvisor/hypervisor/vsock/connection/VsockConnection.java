package io.podvisor.hypervisor.vsock.connection;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import io.podvisor.hypervisor.vsock.packet.RxBuffer;
import io.podvisor.hypervisor.vsock.packet.TxPacket;
import io.podvisor.hypervisor.vsock.packet.VsockHeader;

/**
 * One stream between a host unix socket and a guest vsock port, with its state and both
 * directions of credit flow control. It never touches the selector or the virtqueues: the muxer
 * feeds it guest packets and socket readiness, asks it for packets to send and for the socket
 * events it wants.
 */
public final class VsockConnection {

    public enum State {
        /** Host-initiated: REQUEST queued or sent, waiting for the guest's RESPONSE. */
        CONNECTING_TO_GUEST,
        /** Guest-initiated: connecting the host unix socket. */
        CONNECTING_TO_HOST,
        ESTABLISHED,
        CLOSED
    }

    /** Bytes of guest-to-host data this side buffers: the buf_alloc the guest sees. */
    public static final int BUF_ALLOC = 256 * 1024;
    /** Most payload put in one packet to the guest. */
    static final int MAX_PACKET_PAYLOAD = 64 * 1024;
    /** Consumed-but-unannounced bytes after which the guest gets a CREDIT_UPDATE. */
    static final int CREDIT_UPDATE_THRESHOLD = BUF_ALLOC / 4;

    private static final int RX_REQUEST = 1;
    private static final int RX_RESPONSE = 2;
    private static final int RX_DATA = 4;
    private static final int RX_CREDIT_UPDATE = 8;

    final long guestCid;
    public final int localPort;
    public final int peerPort;
    private final SocketChannel host;
    private final BufferBudget budget;
    private final TxBuffer txBuffer;
    private State state;
    private int pendingRx;
    private ByteBuffer preamble;
    private String closeReason;
    private boolean resetGuest;

    // Guest-to-host direction: what the guest sent, what reached the host socket, what the guest knows.
    private int rxCnt;
    private int fwdCnt;
    private int lastFwdCntSent;
    // Host-to-guest direction: the guest's buffer and how much of it it has consumed.
    private int peerBufAlloc;
    private int peerFwdCnt;
    private int txCnt;

    private boolean peerShutRecv;
    private boolean peerShutSend;
    private boolean closeWhenFlushed;
    private boolean hostEof;
    private boolean hostOutputShut;

    /** Whether the muxer holds it in its queue of connections with packets for the guest. */
    public boolean queued;
    /** Deadline (System.nanoTime) while connecting. */
    public final long connectDeadline;

    private VsockConnection(long guestCid, int localPort, int peerPort, SocketChannel host, State state,
                            long connectDeadline, BufferBudget budget) {
        this.budget = budget;
        this.txBuffer = new TxBuffer(BUF_ALLOC, budget);
        this.guestCid = guestCid;
        this.localPort = localPort;
        this.peerPort = peerPort;
        this.host = host;
        this.state = state;
        this.connectDeadline = connectDeadline;
    }

    /** A host client asked, by CONNECT, for guest port {@code peerPort}. */
    public static VsockConnection hostInitiated(long guestCid, int localPort, int peerPort, SocketChannel host,
                                                long connectDeadline, BufferBudget budget) {
        VsockConnection c = new VsockConnection(guestCid, localPort, peerPort, host, State.CONNECTING_TO_GUEST,
                connectDeadline, budget);
        c.pendingRx = RX_REQUEST;
        return c;
    }

    /**
     * The guest sent REQUEST to host port {@code localPort}; {@code connected} says whether the host
     * socket connected at once (otherwise the muxer waits for OP_CONNECT).
     */
    public static VsockConnection guestInitiated(VsockHeader request, SocketChannel host, boolean connected,
                                                 long connectDeadline, BufferBudget budget) {
        VsockConnection c = new VsockConnection(request.srcCid(), request.dstPort(), request.srcPort(), host,
                connected ? State.ESTABLISHED : State.CONNECTING_TO_HOST, connectDeadline, budget);
        c.updatePeerCredit(request);
        if (connected) {
            c.pendingRx = RX_RESPONSE;
        }
        return c;
    }

    public State state() {
        return state;
    }

    public SocketChannel host() {
        return host;
    }

    public boolean isClosed() {
        return state == State.CLOSED;
    }

    /** After closing: whether the guest must be sent RST for it. */
    public boolean resetGuest() {
        return resetGuest;
    }

    public String closeReason() {
        return closeReason;
    }

    public boolean hasPendingRx() {
        return state != State.CLOSED && pendingRx != 0;
    }

    /** How many more bytes the guest can take from this side now. */
    long peerCredit() {
        long inFlight = Integer.toUnsignedLong(txCnt - peerFwdCnt);
        return Math.max(0, Integer.toUnsignedLong(peerBufAlloc) - inFlight);
    }

    int fwdCnt() {
        return fwdCnt;
    }

    int rxCnt() {
        return rxCnt;
    }

    int bufferedForHost() {
        return txBuffer.size();
    }

    /** The selector operations this connection wants on its host socket now. */
    public int interestOps() {
        return switch (state) {
            case CLOSED, CONNECTING_TO_GUEST -> 0;
            case CONNECTING_TO_HOST -> SelectionKey.OP_CONNECT;
            case ESTABLISHED -> (wantsHostWrite() ? SelectionKey.OP_WRITE : 0) | (wantsHostRead() ? SelectionKey.OP_READ : 0);
        };
    }

    private boolean wantsHostWrite() {
        return preamble != null || !txBuffer.isEmpty();
    }

    private boolean wantsHostRead() {
        return !hostEof && !peerShutRecv && (pendingRx & RX_DATA) == 0 && peerCredit() > 0;
    }

    /** A packet from the guest addressed to this connection. */
    public void onGuestPacket(TxPacket packet) {
        VsockHeader h = packet.header();
        updatePeerCredit(h);
        switch (h.op()) {
            case VsockHeader.OP_RESPONSE -> {
                if (state != State.CONNECTING_TO_GUEST) {
                    close("RESPONSE in state " + state, true);
                    return;
                }
                state = State.ESTABLISHED;
                preamble = ByteBuffer.wrap(("OK " + Integer.toUnsignedString(localPort) + "\n")
                        .getBytes(StandardCharsets.US_ASCII));
                flushToHost();
            }
            case VsockHeader.OP_RW -> {
                if (state != State.ESTABLISHED) {
                    close("data in state " + state, true);
                    return;
                }
                acceptData(packet);
            }
            case VsockHeader.OP_CREDIT_UPDATE -> {
            }
            case VsockHeader.OP_CREDIT_REQUEST -> pendingRx |= RX_CREDIT_UPDATE;
            case VsockHeader.OP_SHUTDOWN -> {
                peerShutRecv |= (h.flags() & VsockHeader.SHUTDOWN_RCV) != 0;
                peerShutSend |= (h.flags() & VsockHeader.SHUTDOWN_SEND) != 0;
                if (peerShutRecv && peerShutSend) {
                    closeWhenFlushed = true;
                }
                if (peerShutRecv) {
                    pendingRx &= ~RX_DATA;
                }
                afterFlush();
            }
            case VsockHeader.OP_RST -> close(state == State.CONNECTING_TO_GUEST
                    ? "guest refused: nothing listens on port " + Integer.toUnsignedString(peerPort)
                    : "guest reset", false);
            default -> close("unexpected " + VsockHeader.opName(h.op()), true);
        }
    }

    private void updatePeerCredit(VsockHeader h) {
        peerBufAlloc = h.bufAlloc();
        peerFwdCnt = h.fwdCnt();
    }

    private void acceptData(TxPacket packet) {
        long length = packet.payloadLength();
        if (length > txBuffer.free()) {
            close("guest sent " + length + " bytes with " + txBuffer.free() + " bytes of credit", true);
            return;
        }
        rxCnt += (int) length;
        if (peerShutSend) {
            return;
        }
        ByteBuffer[] payload = packet.payload();
        if (!wantsHostWrite()) {
            try {
                fwdCnt += (int) host.write(payload);
            } catch (IOException e) {
                close("host socket write failed: " + e.getMessage(), true);
                return;
            }
        }
        if (!txBuffer.push(payload)) {
            close("the VM's vsock connections already buffer " + budget.used() + " bytes for slow host sockets, the most"
                    + " a VM may", true);
            return;
        }
        afterFlush();
    }

    /** The host socket can take more bytes. */
    public void onHostWritable() {
        flushToHost();
    }

    private void flushToHost() {
        try {
            if (preamble != null) {
                host.write(preamble);
                if (preamble.hasRemaining()) {
                    return;
                }
                preamble = null;
            }
            fwdCnt += (int) txBuffer.flushTo(host);
        } catch (IOException e) {
            close("host socket write failed: " + e.getMessage(), true);
            return;
        }
        afterFlush();
    }

    private void afterFlush() {
        if (state == State.CLOSED) {
            return;
        }
        if (Integer.toUnsignedLong(fwdCnt - lastFwdCntSent) >= CREDIT_UPDATE_THRESHOLD && !peerShutSend) {
            pendingRx |= RX_CREDIT_UPDATE;
        }
        if (!txBuffer.isEmpty() || preamble != null) {
            return;
        }
        if (closeWhenFlushed) {
            close("guest closed", true);
            return;
        }
        if (peerShutSend && !hostOutputShut && state == State.ESTABLISHED) {
            hostOutputShut = true;
            try {
                host.shutdownOutput();
            } catch (IOException e) {
                close("host socket shutdown failed: " + e.getMessage(), true);
            }
        }
    }

    /** The host socket has bytes (or EOF) to read. */
    public void onHostReadable() {
        if (state == State.ESTABLISHED) {
            pendingRx |= RX_DATA;
        }
    }

    /** The host socket's pending connect finished (or failed). */
    public void onHostConnectable() {
        try {
            if (host.finishConnect()) {
                state = State.ESTABLISHED;
                pendingRx |= RX_RESPONSE;
            }
        } catch (IOException e) {
            close("cannot connect host socket: " + e.getMessage(), true);
        }
    }

    /** The guest or host took too long to answer. */
    public void onConnectTimeout() {
        if (state == State.CONNECTING_TO_GUEST || state == State.CONNECTING_TO_HOST) {
            close("no answer within the connect timeout", true);
        }
    }

    /**
     * Writes this connection's next packet for the guest into {@code buffer}; returns its length
     * (header included), or 0 if it has nothing to send now.
     */
    public int fillRx(RxBuffer buffer) {
        if ((pendingRx & RX_REQUEST) != 0) {
            pendingRx &= ~RX_REQUEST;
            return buffer.writeHeader(header(VsockHeader.OP_REQUEST, 0, 0));
        }
        if ((pendingRx & RX_RESPONSE) != 0) {
            pendingRx &= ~RX_RESPONSE;
            return buffer.writeHeader(header(VsockHeader.OP_RESPONSE, 0, 0));
        }
        if ((pendingRx & RX_DATA) != 0) {
            int sent = fillData(buffer);
            if (sent > 0 || state == State.CLOSED) {
                return sent;
            }
        }
        if ((pendingRx & RX_CREDIT_UPDATE) != 0) {
            return buffer.writeHeader(header(VsockHeader.OP_CREDIT_UPDATE, 0, 0));
        }
        return 0;
    }

    private int fillData(RxBuffer buffer) {
        long credit = peerCredit();
        if (state != State.ESTABLISHED || hostEof || peerShutRecv || credit == 0) {
            pendingRx &= ~RX_DATA;
            return 0;
        }
        int max = (int) Math.min(credit, Math.min(MAX_PACKET_PAYLOAD, buffer.payloadCapacity()));
        long n;
        try {
            n = max == 0 ? 0 : host.read(buffer.payload(max));
        } catch (IOException e) {
            close("host socket read failed: " + e.getMessage(), true);
            return 0;
        }
        if (n > 0) {
            txCnt += (int) n;
            return buffer.writeHeader(header(VsockHeader.OP_RW, 0, (int) n));
        }
        pendingRx &= ~RX_DATA;
        if (n < 0) {
            hostEof = true;
            return buffer.writeHeader(header(VsockHeader.OP_SHUTDOWN, VsockHeader.SHUTDOWN_SEND, 0));
        }
        return 0;
    }

    private VsockHeader header(int op, int flags, int len) {
        lastFwdCntSent = fwdCnt;
        pendingRx &= ~RX_CREDIT_UPDATE;
        return new VsockHeader(VsockHeader.HOST_CID, guestCid, localPort, peerPort, len, VsockHeader.TYPE_STREAM,
                op, flags, BUF_ALLOC, fwdCnt);
    }

    /** Marks the connection closed; the muxer closes the socket and, if asked, resets the guest side. */
    public void close(String reason, boolean rst) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        closeReason = reason;
        resetGuest = rst;
        pendingRx = 0;
        txBuffer.release();
    }

    @Override
    public String toString() {
        return "host:" + Integer.toUnsignedString(localPort) + "<->guest:" + Integer.toUnsignedString(peerPort);
    }
}
