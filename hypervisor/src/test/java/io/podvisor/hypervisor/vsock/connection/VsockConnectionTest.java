package io.podvisor.hypervisor.vsock.connection;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import io.podvisor.hypervisor.vsock.packet.VsockHeader;
import io.podvisor.hypervisor.vsock.packet.VsockPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_CREDIT_REQUEST;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_CREDIT_UPDATE;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_REQUEST;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_RESPONSE;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_RST;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_RW;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_SHUTDOWN;
import static io.podvisor.hypervisor.vsock.packet.VsockPackets.fromGuest;
import static io.podvisor.hypervisor.vsock.packet.VsockPackets.tx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One connection driven by hand: packets as bytes on the guest side, a real unix socket on the host side. */
class VsockConnectionTest {
    private static final int GUEST_PORT = 1024;
    private static final int HOST_PORT = 1 << 30;
    private static final int GUEST_BUF = 64 * 1024;

    @TempDir
    Path dir;
    private SocketChannel hostEnd;
    private SocketChannel client;
    private final BufferBudget budget = new BufferBudget(1L << 20);

    @BeforeEach
    void socketPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
            client = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("s")));
            hostEnd = server.accept();
        }
        hostEnd.configureBlocking(false);
    }

    @AfterEach
    void closeSockets() throws IOException {
        hostEnd.close();
        client.close();
    }

    private VsockConnection established() {
        VsockConnection c = VsockConnection.hostInitiated(VsockPackets.GUEST_CID, HOST_PORT, GUEST_PORT, hostEnd,
                Long.MAX_VALUE, budget);
        assertEquals(OP_REQUEST, fill(c).packet().op());
        c.onGuestPacket(tx(fromGuest(OP_RESPONSE, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0)));
        assertEquals(VsockConnection.State.ESTABLISHED, c.state());
        return c;
    }

    private static VsockPackets.Rx fill(VsockConnection c) {
        VsockPackets.Rx rx = new VsockPackets.Rx(4096);
        int n = c.fillRx(rx.buffer);
        assertTrue(n > 0, "the connection had a packet for the guest");
        assertEquals(VsockHeader.SIZE + rx.packet().len(), n);
        return rx;
    }

    private String readLine() throws IOException {
        StringBuilder b = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (client.read(one) < 0) {
                return b.toString();
            }
            if (one.get(0) == '\n') {
                return b.toString();
            }
            b.append((char) one.get(0));
        }
    }

    private byte[] readExactly(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && client.read(b) >= 0) {
            // keep reading
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void hostInitiatedConnectionSendsRequestThenAnswersOkOnResponse() throws IOException {
        VsockConnection c = VsockConnection.hostInitiated(VsockPackets.GUEST_CID, HOST_PORT, GUEST_PORT, hostEnd,
                Long.MAX_VALUE, budget);
        assertEquals(0, c.interestOps(), "nothing is read from the client before the guest accepted");
        VsockHeader request = fill(c).packet();
        assertEquals(OP_REQUEST, request.op());
        assertEquals(VsockHeader.HOST_CID, request.srcCid());
        assertEquals(VsockPackets.GUEST_CID, request.dstCid());
        assertEquals(HOST_PORT, request.srcPort());
        assertEquals(GUEST_PORT, request.dstPort());
        assertEquals(VsockConnection.BUF_ALLOC, request.bufAlloc());

        c.onGuestPacket(tx(fromGuest(OP_RESPONSE, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0)));
        assertEquals("OK " + HOST_PORT, readLine());
        assertEquals(SelectionKey.OP_READ, c.interestOps());
    }

    @Test
    void guestResetWhileConnectingClosesWithoutAnswer() throws IOException {
        VsockConnection c = VsockConnection.hostInitiated(VsockPackets.GUEST_CID, HOST_PORT, GUEST_PORT, hostEnd,
                Long.MAX_VALUE, budget);
        fill(c);
        c.onGuestPacket(tx(fromGuest(OP_RST, GUEST_PORT, HOST_PORT, 0, 0, 0, 0)));
        assertTrue(c.isClosed());
        assertFalse(c.resetGuest(), "an RST is never answered with an RST");
        assertTrue(c.closeReason().contains("nothing listens on port " + GUEST_PORT), c.closeReason());
    }

    @Test
    void guestDataReachesTheHostSocketAndCountsAsForwarded() throws IOException {
        VsockConnection c = established();
        readLine();
        byte[] data = "hello host".getBytes(StandardCharsets.US_ASCII);
        c.onGuestPacket(tx(fromGuest(OP_RW, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0), data));
        assertArrayEquals(data, readExactly(data.length));
        assertEquals(data.length, c.rxCnt());
        assertEquals(data.length, c.fwdCnt());
        assertFalse(c.hasPendingRx(), "a few bytes do not warrant a credit update");
    }

    @Test
    void creditUpdateFollowsOnceAQuarterOfTheBufferWasForwarded() throws IOException {
        VsockConnection c = established();
        readLine();
        byte[] chunk = new byte[4096];
        int sent = 0;
        while (sent < VsockConnection.CREDIT_UPDATE_THRESHOLD) {
            c.onGuestPacket(tx(fromGuest(OP_RW, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0), chunk));
            sent += chunk.length;
            readExactly(chunk.length);
        }
        assertTrue(c.hasPendingRx());
        VsockHeader update = fill(c).packet();
        assertEquals(OP_CREDIT_UPDATE, update.op());
        assertEquals(sent, update.fwdCnt());
        assertEquals(VsockConnection.BUF_ALLOC, update.bufAlloc());
    }

    @Test
    void creditRequestIsAnsweredWithTheCurrentCredit() {
        VsockConnection c = established();
        c.onGuestPacket(tx(fromGuest(OP_CREDIT_REQUEST, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0)));
        assertEquals(OP_CREDIT_UPDATE, fill(c).packet().op());
    }

    @Test
    void bytesTheHostSocketCannotTakeAreBufferedAndNotYetCredited() throws IOException {
        VsockConnection c = established();
        readLine();
        byte[] chunk = new byte[32 * 1024];
        int sent = 0;
        // Fill the unix socket's buffers: the client does not read.
        while (c.bufferedForHost() == 0) {
            c.onGuestPacket(tx(fromGuest(OP_RW, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0), chunk));
            sent += chunk.length;
        }
        assertEquals(sent, c.rxCnt());
        assertEquals(sent - c.bufferedForHost(), c.fwdCnt());
        assertTrue((c.interestOps() & SelectionKey.OP_WRITE) != 0, "waits for the socket to drain");

        readExactly(c.fwdCnt());
        c.onHostWritable();
        assertEquals(0, c.bufferedForHost());
        assertEquals(sent, c.fwdCnt());
        assertEquals(0, c.interestOps() & SelectionKey.OP_WRITE);
    }

    @Test
    void guestIgnoringCreditGetsReset() {
        VsockConnection c = established();
        byte[] chunk = new byte[64 * 1024];
        // The client never reads, so the buffer fills up to buf_alloc and then overflows.
        for (int i = 0; i < 64 && !c.isClosed(); i++) {
            c.onGuestPacket(tx(fromGuest(OP_RW, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0), chunk));
        }
        assertTrue(c.isClosed());
        assertTrue(c.resetGuest());
        assertTrue(c.closeReason().contains("credit"), c.closeReason());
    }

    @Test
    void hostDataNeverExceedsTheGuestsCredit() throws IOException {
        VsockConnection c = VsockConnection.hostInitiated(VsockPackets.GUEST_CID, HOST_PORT, GUEST_PORT, hostEnd,
                Long.MAX_VALUE, budget);
        fill(c);
        c.onGuestPacket(tx(fromGuest(OP_RESPONSE, GUEST_PORT, HOST_PORT, 0, 0, 6000, 0)));
        client.write(ByteBuffer.wrap(new byte[20_000]));

        int received = 0;
        c.onHostReadable();
        while (c.hasPendingRx()) {
            VsockPackets.Rx rx = new VsockPackets.Rx(4096);
            if (c.fillRx(rx.buffer) == 0) {
                break;
            }
            assertEquals(OP_RW, rx.packet().op());
            received += rx.packet().len();
        }
        assertEquals(6000, received, "exactly the guest's buf_alloc");
        assertEquals(0, c.peerCredit());
        assertEquals(0, c.interestOps() & SelectionKey.OP_READ, "no reading while the guest has no room");

        c.onGuestPacket(tx(fromGuest(OP_CREDIT_UPDATE, GUEST_PORT, HOST_PORT, 0, 0, 6000, 4000)));
        assertEquals(4000, c.peerCredit());
        assertEquals(SelectionKey.OP_READ, c.interestOps() & SelectionKey.OP_READ);
    }

    @Test
    void hostEndOfStreamBecomesShutdownSend() throws IOException {
        VsockConnection c = established();
        readLine();
        client.shutdownOutput();
        c.onHostReadable();
        VsockHeader h = fill(c).packet();
        assertEquals(OP_SHUTDOWN, h.op());
        assertEquals(VsockHeader.SHUTDOWN_SEND, h.flags());
        assertFalse(c.isClosed(), "the guest may still send: half-close");
        assertEquals(0, c.interestOps() & SelectionKey.OP_READ);

        byte[] reply = "still here".getBytes(StandardCharsets.US_ASCII);
        c.onGuestPacket(tx(fromGuest(OP_RW, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0), reply));
        assertArrayEquals(reply, readExactly(reply.length));
    }

    @Test
    void guestShutdownSendHalfClosesTheHostSocket() throws IOException {
        VsockConnection c = established();
        readLine();
        c.onGuestPacket(tx(fromGuest(OP_SHUTDOWN, GUEST_PORT, HOST_PORT, 0, VsockHeader.SHUTDOWN_SEND, GUEST_BUF, 0)));
        assertEquals(-1, client.read(ByteBuffer.allocate(1)), "the host client sees end of stream");
        assertFalse(c.isClosed());
    }

    @Test
    void guestFullShutdownFlushesThenResets() throws IOException {
        VsockConnection c = established();
        readLine();
        byte[] data = "last words".getBytes(StandardCharsets.US_ASCII);
        c.onGuestPacket(tx(fromGuest(OP_RW, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0), data));
        c.onGuestPacket(tx(fromGuest(OP_SHUTDOWN, GUEST_PORT, HOST_PORT, 0,
                VsockHeader.SHUTDOWN_SEND | VsockHeader.SHUTDOWN_RCV, GUEST_BUF, 0)));
        assertTrue(c.isClosed());
        assertTrue(c.resetGuest(), "the guest waits for our RST to finish its close");
        assertArrayEquals(data, readExactly(data.length));
    }

    @Test
    void guestInitiatedConnectionAnswersResponseFirst() {
        VsockHeader request = fromGuest(OP_REQUEST, 5000, 1025, 0, 0, GUEST_BUF, 0);
        VsockConnection c = VsockConnection.guestInitiated(request, hostEnd, true, Long.MAX_VALUE, budget);
        VsockHeader response = fill(c).packet();
        assertEquals(OP_RESPONSE, response.op());
        assertEquals(1025, response.srcPort());
        assertEquals(5000, response.dstPort());
        assertEquals(GUEST_BUF, c.peerCredit(), "the REQUEST carried the guest's buffer size");
    }

    @Test
    void connectTimeoutResetsTheGuest() {
        VsockConnection c = VsockConnection.hostInitiated(VsockPackets.GUEST_CID, HOST_PORT, GUEST_PORT, hostEnd, 0, budget);
        fill(c);
        c.onConnectTimeout();
        assertTrue(c.isClosed());
        assertTrue(c.resetGuest());
    }

    @Test
    void responseOnAnEstablishedConnectionIsAProtocolError() {
        VsockConnection c = established();
        c.onGuestPacket(tx(fromGuest(OP_RESPONSE, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0)));
        assertTrue(c.isClosed());
        assertTrue(c.resetGuest());
    }

    @Test
    void guestFillingSlowHostSocketsBeyondTheVmBudgetIsReset() throws IOException {
        BufferBudget small = new BufferBudget(VsockConnection.BUF_ALLOC);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("second")));
            try (SocketChannel secondClient = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("second")));
                 SocketChannel secondHost = server.accept()) {
                secondHost.configureBlocking(false);
                VsockConnection first = establishedWith(hostEnd, small, HOST_PORT);
                VsockConnection second = establishedWith(secondHost, small, HOST_PORT + 1);
                byte[] chunk = new byte[64 * 1024];
                // Neither client reads: the first connection's buffer takes the whole budget.
                while (first.bufferedForHost() == 0) {
                    first.onGuestPacket(tx(fromGuest(OP_RW, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 0), chunk));
                }
                assertEquals(VsockConnection.BUF_ALLOC, small.used());
                while (!second.isClosed()) {
                    second.onGuestPacket(tx(fromGuest(OP_RW, GUEST_PORT, HOST_PORT + 1, 0, 0, GUEST_BUF, 0), chunk));
                }
                assertTrue(second.resetGuest(), "the guest is told its stream was reset");
                assertTrue(second.closeReason().contains("buffer"), second.closeReason());
                assertFalse(first.isClosed(), "the connection holding the budget goes on");
                first.close("test done", false);
                assertEquals(0, small.used(), "closing gives the buffer back");
            }
        }
    }

    private VsockConnection establishedWith(SocketChannel host, BufferBudget budget, int hostPort) {
        VsockConnection c = VsockConnection.hostInitiated(VsockPackets.GUEST_CID, hostPort, GUEST_PORT, host,
                Long.MAX_VALUE, budget);
        fill(c);
        c.onGuestPacket(tx(fromGuest(OP_RESPONSE, GUEST_PORT, hostPort, 0, 0, GUEST_BUF, 0)));
        return c;
    }

    @Test
    void aGuestClaimingToHaveConsumedMoreThanItWasSentGetsNoCreditForIt() {
        VsockConnection c = established();
        assertEquals(GUEST_BUF, c.peerCredit());
        c.onGuestPacket(tx(fromGuest(OP_CREDIT_UPDATE, GUEST_PORT, HOST_PORT, 0, 0, GUEST_BUF, 12345)));
        assertEquals(0, c.peerCredit(), "fwd_cnt ahead of what the host sent is a lie, not credit");
        c.onGuestPacket(tx(fromGuest(OP_CREDIT_UPDATE, GUEST_PORT, HOST_PORT, 0, 0, -1, 0)));
        assertEquals(0xFFFF_FFFFL, c.peerCredit(), "never more than the buf_alloc the guest gives");
    }
}
