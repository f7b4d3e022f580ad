package io.podvisor.hypervisor.vsock;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.podvisor.hypervisor.vsock.connection.VsockConnection;
import io.podvisor.hypervisor.vsock.muxer.VsockMuxer;
import io.podvisor.hypervisor.vsock.packet.VsockHeader;
import io.podvisor.hypervisor.vsock.virtq.DriverQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.podvisor.hypervisor.vsock.SimulatedGuest.bytes;
import static io.podvisor.hypervisor.vsock.SimulatedGuest.text;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_CREDIT_UPDATE;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_REQUEST;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_RESPONSE;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_RST;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_RW;
import static io.podvisor.hypervisor.vsock.packet.VsockHeader.OP_SHUTDOWN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole backend over its real sockets, against {@link SimulatedGuest} playing QEMU and the
 * guest driver (real memfd, eventfds and SCM_RIGHTS; no VM). The QEMU bring-up lives in
 * integration tests; this checks the same paths in a second.
 */
class VhostUserVsockBackendTest {
    private static final long CID = 7;
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final int GUEST_BUF = 64 * 1024;

    @TempDir
    Path dir;
    private Path vhostUser;
    private Path hybrid;
    private VhostUserVsockBackend backend;
    private SimulatedGuest guest;

    @BeforeEach
    void start() throws IOException {
        vhostUser = dir.resolve("vhost.sock");
        hybrid = dir.resolve("vsock.sock");
        backend = VhostUserVsockBackend.start("test-vm", vhostUser, hybrid, CID);
        guest = new SimulatedGuest(vhostUser, CID);
    }

    @AfterEach
    void stop() throws IOException {
        guest.close();
        backend.close();
    }

    private CompletableFuture<SocketChannel> hostConnect(int port) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return HybridClient.connect(hybrid, port, WAIT);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** Accepts a host-initiated connection on the guest side; returns the REQUEST. */
    private VsockHeader accept(int guestPort) throws IOException {
        VsockHeader request = guest.expect(OP_REQUEST, WAIT).header();
        assertEquals(guestPort, request.dstPort());
        assertEquals(CID, request.dstCid());
        guest.send(guest.header(OP_RESPONSE, guestPort, request.srcPort(), 0, GUEST_BUF, 0));
        return request;
    }

    private static void writeAll(SocketChannel c, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private static byte[] readFully(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && c.read(b) >= 0) {
            // keep reading
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void getConfigReportsTheGuestCid() throws IOException {
        assertEquals(CID, guest.config().getLong(0));
    }

    @Test
    void hostConnectReachesAGuestListenerBothWays() throws Exception {
        CompletableFuture<SocketChannel> client = hostConnect(1024);
        VsockHeader request = accept(1024);
        assertTrue(Integer.toUnsignedLong(request.srcPort()) >= VsockMuxer.FIRST_LOCAL_PORT);
        try (SocketChannel c = client.get(5, TimeUnit.SECONDS)) {
            writeAll(c, bytes("ping"));
            SimulatedGuest.Packet data = guest.expect(OP_RW, WAIT);
            assertEquals("ping", text(data.payload()));
            guest.send(guest.header(OP_RW, 1024, request.srcPort(), 0, GUEST_BUF, 4), bytes("pong"));
            assertEquals("pong", text(readFully(c, 4)));
        }
        // The client closed: the guest is told the host will send no more.
        SimulatedGuest.Packet shutdown = guest.expect(OP_SHUTDOWN, WAIT);
        assertEquals(VsockHeader.SHUTDOWN_SEND, shutdown.header().flags());
    }

    @Test
    void oneMebibyteEchoesIntactWithinTheGuestsCredit() throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        CompletableFuture<SocketChannel> client = hostConnect(5000);
        VsockHeader request = accept(5000);
        SocketChannel c = client.get(5, TimeUnit.SECONDS);
        CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
            try {
                return readFully(c, data.length);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                writeAll(c, data);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });

        int hostPort = request.srcPort();
        long guestConsumed = 0;       // bytes the guest consumed
        long guestAnnounced = 0;      // the fwd_cnt the guest told the host
        long hostSent = 0;            // bytes the host sent the guest
        long guestSent = 0;           // bytes the guest echoed back
        long hostBufAlloc = VsockConnection.BUF_ALLOC;
        long hostFwdCnt = 0;
        ArrayDeque<byte[]> toEcho = new ArrayDeque<>();
        while (guestSent < data.length) {
            // Echo what the host's credit allows, as a well-behaved guest does.
            while (!toEcho.isEmpty() && guestSent + toEcho.peek().length - hostFwdCnt <= hostBufAlloc) {
                byte[] chunk = toEcho.poll();
                guest.send(guest.header(OP_RW, 5000, hostPort, 0, GUEST_BUF, (int) guestAnnounced), chunk);
                guestSent += chunk.length;
            }
            if (guestSent == data.length) {
                break;
            }
            SimulatedGuest.Packet p = guest.receive(WAIT);
            hostBufAlloc = Integer.toUnsignedLong(p.header().bufAlloc());
            hostFwdCnt = Integer.toUnsignedLong(p.header().fwdCnt());
            if (p.op() == OP_CREDIT_UPDATE) {
                continue;
            }
            assertEquals(OP_RW, p.op(), () -> "unexpected " + p.header());
            hostSent += p.payload().length;
            assertTrue(hostSent - guestAnnounced <= GUEST_BUF, "the host overran the guest's buffer");
            toEcho.add(p.payload());
            long before = guestConsumed;
            guestConsumed += p.payload().length;
            if (before / 16384 != guestConsumed / 16384) {
                guestAnnounced = guestConsumed;
                guest.send(guest.header(OP_CREDIT_UPDATE, 5000, hostPort, 0, GUEST_BUF, (int) guestAnnounced));
            }
        }
        writer.join();
        assertArrayEquals(data, echoed.get(10, TimeUnit.SECONDS));
        c.close();
    }

    @Test
    void hostDataStopsAtTheGuestsBufferUntilItGivesCredit() throws Exception {
        int guestBuf = 16 * 1024;
        CompletableFuture<SocketChannel> client = hostConnect(5000);
        VsockHeader request = guest.expect(OP_REQUEST, WAIT).header();
        int hostPort = request.srcPort();
        guest.send(guest.header(OP_RESPONSE, 5000, hostPort, 0, guestBuf, 0));
        try (SocketChannel c = client.get(5, TimeUnit.SECONDS)) {
            writeAll(c, new byte[40 * 1024]);
            assertEquals(guestBuf, receiveUntilQuiet(), "exactly the guest's buf_alloc, then nothing");
            guest.send(guest.header(OP_CREDIT_UPDATE, 5000, hostPort, 0, guestBuf, 10_000));
            assertEquals(10_000, receiveUntilQuiet(), "exactly what the guest freed");
        }
    }

    private int receiveUntilQuiet() throws IOException {
        int total = 0;
        while (!guest.quietFor(Duration.ofMillis(300))) {
            SimulatedGuest.Packet p = guest.receive(WAIT);
            if (p.op() == OP_RW) {
                total += p.payload().length;
            }
        }
        return total;
    }

    @Test
    void guestConnectionToTheHostReachesTheUnixSocketNamedAfterThePort() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(Path.of(hybrid + "_1025")));
            guest.send(guest.header(OP_REQUEST, 40000, 1025, 0, GUEST_BUF, 0));
            SimulatedGuest.Packet response = guest.expect(OP_RESPONSE, WAIT);
            assertEquals(1025, response.header().srcPort());
            assertEquals(40000, response.header().dstPort());
            guest.send(guest.header(OP_RW, 40000, 1025, 0, GUEST_BUF, 0), bytes("READY 1.0\n"));
            try (SocketChannel host = listener.accept()) {
                assertEquals("READY 1.0\n", text(readFully(host, 10)));
                writeAll(host, bytes("hi"));
                assertEquals("hi", text(guest.expect(OP_RW, WAIT).payload()));
            }
            assertEquals(OP_SHUTDOWN, guest.receive(WAIT).op());
            guest.send(guest.header(OP_SHUTDOWN, 40000, 1025, VsockHeader.SHUTDOWN_RCV | VsockHeader.SHUTDOWN_SEND,
                    GUEST_BUF, 2));
            assertEquals(OP_RST, guest.receive(WAIT).op(), "the backend completes the guest's close");
        }
    }

    @Test
    void guestConnectionToAPortNobodyListensOnIsReset() throws Exception {
        guest.send(guest.header(OP_REQUEST, 40001, 1999, 0, GUEST_BUF, 0));
        SimulatedGuest.Packet rst = guest.expect(OP_RST, WAIT);
        assertEquals(1999, rst.header().srcPort());
        assertEquals(40001, rst.header().dstPort());
        assertFalse(Files.exists(Path.of(hybrid + "_1999")));
    }

    @Test
    void hostConnectToAGuestPortThatRefusesFailsNamingThePort() throws Exception {
        CompletableFuture<SocketChannel> client = hostConnect(6000);
        VsockHeader request = guest.expect(OP_REQUEST, WAIT).header();
        guest.send(guest.header(OP_RST, 6000, request.srcPort(), 0, 0, 0));
        ExecutionException e = assertThrows(ExecutionException.class, () -> client.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("vsock port 6000 refused"), e.getCause().getMessage());
        assertTrue(guest.quietFor(Duration.ofMillis(200)), "an RST is not answered");
    }

    @Test
    void fiftyConcurrentConnectionsKeepTheirOwnStreams() throws Exception {
        int n = 50;
        List<CompletableFuture<String>> replies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            replies.add(CompletableFuture.supplyAsync(() -> {
                try (SocketChannel c = HybridClient.connect(hybrid, 5000, WAIT)) {
                    writeAll(c, bytes("client " + id + "\n"));
                    c.shutdownOutput();
                    return text(readFully(c, 64)).trim();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, Executors.newVirtualThreadPerTaskExecutor()));
        }
        // Guest: accept every REQUEST, echo each connection's bytes upper-cased, close on SHUTDOWN.
        Map<Integer, StringBuilder> streams = new HashMap<>();
        int closed = 0;
        while (closed < n) {
            SimulatedGuest.Packet p = guest.receive(WAIT);
            int hostPort = p.header().srcPort();
            switch (p.op()) {
                case OP_REQUEST -> {
                    streams.put(hostPort, new StringBuilder());
                    guest.send(guest.header(OP_RESPONSE, 5000, hostPort, 0, GUEST_BUF, 0));
                }
                case OP_RW -> streams.get(hostPort).append(text(p.payload()));
                case OP_SHUTDOWN -> {
                    byte[] answer = bytes(streams.get(hostPort).toString().toUpperCase());
                    guest.send(guest.header(OP_RW, 5000, hostPort, 0, GUEST_BUF, 0), answer);
                    guest.send(guest.header(OP_SHUTDOWN, 5000, hostPort,
                            VsockHeader.SHUTDOWN_RCV | VsockHeader.SHUTDOWN_SEND, GUEST_BUF, 0));
                    closed++;
                }
                default -> {
                }
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals("CLIENT " + i, replies.get(i).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void packetsForUnknownConnectionsAreReset() throws Exception {
        guest.send(guest.header(OP_RW, 40002, 1234, 0, GUEST_BUF, 0), bytes("stray"));
        SimulatedGuest.Packet rst = guest.expect(OP_RST, WAIT);
        assertEquals(40002, rst.header().dstPort());
    }

    @Test
    void stoppingTheRingsEndsEveryHostConnection() throws Exception {
        CompletableFuture<SocketChannel> client = hostConnect(1024);
        accept(1024);
        try (SocketChannel c = client.get(5, TimeUnit.SECONDS)) {
            guest.stopRings();
            assertEquals(-1, c.read(ByteBuffer.allocate(1)), "the host client sees end of stream");
        }
    }

    @Test
    void aNewFrontEndCanConnectAfterTheFirstWentAway() throws Exception {
        guest.disconnect();
        guest.close();
        guest = new SimulatedGuest(vhostUser, CID);
        CompletableFuture<SocketChannel> client = hostConnect(1024);
        accept(1024);
        client.get(5, TimeUnit.SECONDS).close();
    }

    @Test
    void bytesPipelinedAfterTheConnectLineReachTheGuestOnceItAccepted() throws Exception {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(hybrid))) {
            writeAll(c, bytes("CONNECT 1024\nearly bytes"));
            VsockHeader request = accept(1024);
            assertEquals("OK " + Integer.toUnsignedString(request.srcPort()) + "\n", text(readFully(c, 14)));
            assertEquals("early bytes", text(guest.expect(OP_RW, WAIT).payload()));
        }
    }

    @Test
    void badConnectLinesAreDroppedWithoutBotheringTheGuest() throws Exception {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(hybrid))) {
            writeAll(c, bytes("CONNECT 4294967296\n"));
            assertEquals(-1, c.read(ByteBuffer.allocate(8)));
        }
        assertTrue(guest.quietFor(Duration.ofMillis(200)));
    }

    @Test
    void closeRemovesBothSockets() {
        assertTrue(Files.exists(vhostUser));
        assertTrue(Files.exists(hybrid));
        backend.close();
        assertFalse(Files.exists(vhostUser));
        assertFalse(Files.exists(hybrid));
    }

    @Test
    void refusesASocketPathTooLongForSunPath() {
        Path longPath = dir.resolve("x".repeat(120));
        assertThrows(IllegalArgumentException.class,
                () -> VhostUserVsockBackend.start("test-vm", longPath, hybrid, CID));
    }

    @Test
    void packetsWithASpoofedSourceCidAreDropped() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(Path.of(hybrid + "_1025")));
            listener.configureBlocking(false);
            for (long spoofed : new long[] {VsockHeader.HOST_CID, CID + 1, -1L}) {
                guest.send(new VsockHeader(spoofed, VsockHeader.HOST_CID, 40000, 1025, 0, VsockHeader.TYPE_STREAM,
                        OP_REQUEST, 0, GUEST_BUF, 0));
            }
            assertTrue(guest.quietFor(Duration.ofMillis(300)), "no answer, not even a reset");
            assertEquals(null, listener.accept(), "no host connection was made");
            guest.send(guest.header(OP_REQUEST, 40000, 1025, 0, GUEST_BUF, 0));
            assertEquals(OP_RESPONSE, guest.receive(WAIT).op(), "the guest's own CID still works");
        }
    }

    @Test
    void aGuestCannotOpenMoreConnectionsThanTheLimit() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(Path.of(hybrid + "_1025")), VsockMuxer.MAX_CONNECTIONS + 64);
            int extra = 10;
            int responses = 0;
            int resets = 0;
            for (int i = 0; i < VsockMuxer.MAX_CONNECTIONS + extra; i++) {
                guest.send(guest.header(OP_REQUEST, 20000 + i, 1025, 0, GUEST_BUF, 0));
            }
            while (responses + resets < VsockMuxer.MAX_CONNECTIONS + extra) {
                switch (guest.receive(WAIT).op()) {
                    case OP_RESPONSE -> responses++;
                    case OP_RST -> resets++;
                    default -> {
                    }
                }
            }
            assertEquals(VsockMuxer.MAX_CONNECTIONS, responses);
            assertEquals(extra, resets);
            CompletableFuture<SocketChannel> client = hostConnect(1024);
            ExecutionException e = assertThrows(ExecutionException.class, () -> client.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("1024"), e.getCause().getMessage());
        }
    }

    @Test
    void aGuestThatBreaksItsRingLosesItsConnectionsUntilItResetsTheDevice() throws Exception {
        CompletableFuture<SocketChannel> client = hostConnect(1024);
        accept(1024);
        try (SocketChannel c = client.get(5, TimeUnit.SECONDS)) {
            DriverQueue tx = guest.txQueue();
            guest.ram().set(java.lang.foreign.ValueLayout.JAVA_SHORT, tx.availGpa + 2 - SimulatedGuest.RAM_GPA,
                    (short) (tx.availIndex() + SimulatedGuest.QUEUE_SIZE + 1));
            guest.kick(1);
            assertEquals(-1, c.read(ByteBuffer.allocate(1)), "the host client sees end of stream");
        }
        long refusedAt = System.nanoTime();
        assertThrows(IOException.class, () -> HybridClient.connect(hybrid, 1024, WAIT), "refused while broken");
        assertTrue(System.nanoTime() - refusedAt < WAIT.toNanos() / 2, "refused at once, not after a timeout");

        guest.resetDevice();
        CompletableFuture<SocketChannel> again = hostConnect(1024);
        VsockHeader request = accept(1024);
        try (SocketChannel c = again.get(5, TimeUnit.SECONDS)) {
            guest.send(guest.header(OP_RW, 1024, request.srcPort(), 0, GUEST_BUF, 0), bytes("back"));
            assertEquals("back", text(readFully(c, 4)));
        }
    }
}
