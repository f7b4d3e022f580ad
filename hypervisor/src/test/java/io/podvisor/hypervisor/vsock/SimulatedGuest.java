package io.podvisor.hypervisor.vsock;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

import io.podvisor.hypervisor.os.Eventfd;
import io.podvisor.hypervisor.os.PollFds;
import io.podvisor.hypervisor.os.SharedMemory;
import io.podvisor.hypervisor.vsock.packet.VsockHeader;
import io.podvisor.hypervisor.vsock.virtq.DriverQueue;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

import static io.podvisor.hypervisor.vsock.vhostuser.VhostUserMessage.*;
import static io.podvisor.libc.Libc.LIBC;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Plays QEMU and a guest kernel against the backend, with real parts: a vhost-user client on the
 * unix socket (fds by SCM_RIGHTS), a memfd as guest RAM, eventfds for kicks and interrupts, and
 * the guest's virtio-vsock driver as split virtqueues laid out in that RAM (Linux 6.1's shape: RX
 * buffers of a 44-byte header descriptor plus a 4 KiB data descriptor).
 */
final class SimulatedGuest implements AutoCloseable {
    static final long RAM_GPA = 0x4000_0000L;
    static final long RAM_SIZE = 4L << 20;
    static final int QUEUE_SIZE = 128;
    static final int RX_BUFFERS = 64;
    static final int RX_DATA = 4096;
    static final int TX_SLOTS = 32;
    static final int TX_SLOT = 64 * 1024 + VsockHeader.SIZE;

    private static final long RXQ = 0;
    private static final long TXQ = 0x4000;
    private static final long RX_HEADERS = 0x8000;
    private static final long RX_DATA_AREA = 0x10000;
    private static final long TX_AREA = 0x100000;

    record Packet(VsockHeader header, byte[] payload) {
        int op() {
            return header.op();
        }
    }

    private final long cid;
    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final int memfd;
    private final long mapping;
    private final MemorySegment ram;
    private final int[] kick = new int[2];
    private final int[] call = new int[2];
    private DriverQueue rxq;
    private DriverQueue txq;
    private final Map<Integer, Integer> rxBufferOfHead = new HashMap<>();
    private final Map<Integer, Integer> txSlotOfHead = new HashMap<>();
    private final Deque<Integer> freeTxSlots = new ArrayDeque<>();
    private final Deque<Packet> received = new ArrayDeque<>();

    /** Connects to the backend and sets the device up as QEMU 7.2 does. */
    SimulatedGuest(Path vhostUserSocket, long cid) throws IOException {
        this.cid = cid;
        socket = AFUNIXSocket.newInstance();
        socket.connect(AFUNIXSocketAddress.of(vhostUserSocket));
        in = socket.getInputStream();
        out = socket.getOutputStream();
        memfd = SharedMemory.memfd("simulated-guest-ram", RAM_SIZE);
        mapping = SharedMemory.map(memfd, RAM_SIZE);
        ram = MemorySegment.ofAddress(mapping).reinterpret(RAM_SIZE);
        for (int q = 0; q < 2; q++) {
            kick[q] = Eventfd.create(Eventfd.EFD_CLOEXEC | Eventfd.EFD_NONBLOCK);
            call[q] = Eventfd.create(Eventfd.EFD_CLOEXEC | Eventfd.EFD_NONBLOCK);
        }
        rxq = new DriverQueue(ram, RAM_GPA, RAM_GPA + RXQ, QUEUE_SIZE);
        txq = new DriverQueue(ram, RAM_GPA, RAM_GPA + TXQ, QUEUE_SIZE);
        for (int i = 0; i < TX_SLOTS; i++) {
            freeTxSlots.add(i);
        }
        negotiate();
        setUpRings();
        for (int i = 0; i < RX_BUFFERS; i++) {
            postRx(i);
        }
        Eventfd.signal(kick[0]);
    }

    // ---- vhost-user front-end ----

    private void negotiate() throws IOException {
        long features = request(GET_FEATURES, new byte[0]).getLong(0);
        if ((features & (1L << 30)) == 0 || (features & (1L << 32)) == 0) {
            throw new IOException("backend features 0x" + Long.toHexString(features));
        }
        long protocol = request(GET_PROTOCOL_FEATURES, new byte[0]).getLong(0);
        send(SET_PROTOCOL_FEATURES, le64(protocol & ((1L << 3) | (1L << 9))), false);
        send(SET_OWNER, new byte[0], true);
        send(SET_FEATURES, le64((1L << 32) | (1L << 30)), true);
        ByteBuffer table = le(8 + 32).putInt(1).putInt(0).putLong(RAM_GPA).putLong(RAM_SIZE).putLong(mapping).putLong(0);
        send(SET_MEM_TABLE, table.array(), true, memfd);
    }

    private void setUpRings() throws IOException {
        for (int q = 0; q < 2; q++) {
            DriverQueue d = q == 0 ? rxq : txq;
            send(SET_VRING_NUM, le(8).putInt(q).putInt(QUEUE_SIZE).array(), true);
            send(SET_VRING_BASE, le(8).putInt(q).putInt(0).array(), true);
            send(SET_VRING_ADDR, le(40).putInt(q).putInt(0).putLong(user(d.descGpa)).putLong(user(d.usedGpa))
                    .putLong(user(d.availGpa)).putLong(0).array(), true);
            send(SET_VRING_KICK, le64(q), true, kick[q]);
            send(SET_VRING_CALL, le64(q), true, call[q]);
        }
        for (int q = 0; q < 2; q++) {
            send(SET_VRING_ENABLE, le(8).putInt(q).putInt(1).array(), true);
        }
    }

    private long user(long gpa) {
        return mapping + (gpa - RAM_GPA);
    }

    /** The device configuration space read through GET_CONFIG. */
    ByteBuffer config() throws IOException {
        ByteBuffer reply = request(GET_CONFIG, le(20).putInt(0).putInt(8).putInt(0).putLong(0).array());
        return reply.position(12).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Stops both rings as QEMU does when the guest resets the device; returns their next avail indices. */
    int[] stopRings() throws IOException {
        int[] bases = new int[2];
        for (int q = 0; q < 2; q++) {
            bases[q] = request(GET_VRING_BASE, le(8).putInt(q).putInt(0).array()).getInt(4);
        }
        return bases;
    }

    /**
     * Resets the device as a guest driver does and QEMU passes on: both rings stopped, laid out
     * afresh from index 0 and started again, every RX buffer posted anew.
     */
    void resetDevice() throws IOException {
        resetRings();
        for (int i = 0; i < RX_BUFFERS; i++) {
            postRx(i);
        }
        Eventfd.signal(kick[0]);
    }

    /** Like {@link #resetDevice()} but posts no RX buffers: the caller drives both rings by hand. */
    void resetRings() throws IOException {
        stopRings();
        ram.asSlice(RXQ, RX_DATA_AREA - RXQ).fill((byte) 0);
        rxq = new DriverQueue(ram, RAM_GPA, RAM_GPA + RXQ, QUEUE_SIZE);
        txq = new DriverQueue(ram, RAM_GPA, RAM_GPA + TXQ, QUEUE_SIZE);
        rxBufferOfHead.clear();
        txSlotOfHead.clear();
        freeTxSlots.clear();
        for (int i = 0; i < TX_SLOTS; i++) {
            freeTxSlots.add(i);
        }
        received.clear();
        setUpRings();
    }

    /** Waits up to {@code timeout} for the device to signal queue {@code queue}. */
    void awaitInterrupt(int queue, Duration timeout) {
        await(queue, timeout);
    }

    void kick(int queue) {
        Eventfd.signal(kick[queue]);
    }

    /** The guest's RAM, offset 0 being guest physical address {@link #RAM_GPA}. */
    MemorySegment ram() {
        return ram;
    }

    DriverQueue txQueue() {
        return txq;
    }

    DriverQueue rxQueue() {
        return rxq;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] le64(long v) {
        return le(8).putLong(v).array();
    }

    private void send(int request, byte[] payload, boolean needAck, int... fds) throws IOException {
        ByteBuffer b = le(HEADER_SIZE + payload.length);
        b.putInt(request).putInt(VERSION | (needAck ? FLAG_NEED_REPLY : 0)).putInt(payload.length).put(payload);
        FileDescriptor[] descriptors = new FileDescriptor[fds.length];
        for (int i = 0; i < fds.length; i++) {
            descriptors[i] = FileDescriptorCast.unsafeUsing(fds[i]).getFileDescriptor();
        }
        socket.setOutboundFileDescriptors(descriptors);
        out.write(b.array());
        out.flush();
        if (needAck) {
            long status = readReply(request).getLong(0);
            if (status != 0) {
                throw new IOException(name(request) + " failed with status " + status);
            }
        }
    }

    private ByteBuffer request(int request, byte[] payload) throws IOException {
        ByteBuffer b = le(HEADER_SIZE + payload.length);
        b.putInt(request).putInt(VERSION).putInt(payload.length).put(payload);
        out.write(b.array());
        out.flush();
        return readReply(request);
    }

    private ByteBuffer readReply(int request) throws IOException {
        ByteBuffer header = le(HEADER_SIZE).put(in.readNBytes(HEADER_SIZE)).flip();
        if (header.remaining() < HEADER_SIZE) {
            throw new IOException("backend closed the vhost-user socket");
        }
        if (header.getInt(0) != request || (header.getInt(4) & FLAG_REPLY) == 0) {
            throw new IOException("unexpected reply " + header.getInt(0) + " to " + name(request));
        }
        return le(header.getInt(8)).put(in.readNBytes(header.getInt(8))).flip();
    }

    // ---- the guest's virtio-vsock driver ----

    private void postRx(int buffer) {
        int head = rxq.post(new DriverQueue.Buffer(RAM_GPA + RX_HEADERS + 64L * buffer, VsockHeader.SIZE, true),
                new DriverQueue.Buffer(RAM_GPA + RX_DATA_AREA + (long) RX_DATA * buffer, RX_DATA, true));
        rxBufferOfHead.put(head, buffer);
    }

    VsockHeader header(int op, int srcPort, int dstPort, int flags, int bufAlloc, int fwdCnt) {
        return new VsockHeader(cid, VsockHeader.HOST_CID, srcPort, dstPort, 0, VsockHeader.TYPE_STREAM, op, flags,
                bufAlloc, fwdCnt);
    }

    /** Puts one packet on the TX queue and kicks. */
    void send(VsockHeader header, byte[] payload) throws IOException {
        if (payload.length > TX_SLOT - VsockHeader.SIZE) {
            throw new IllegalArgumentException("payload too large for a TX slot");
        }
        while (freeTxSlots.isEmpty()) {
            reclaimTx();
            if (freeTxSlots.isEmpty()) {
                await(1, Duration.ofSeconds(5));
            }
        }
        int slot = freeTxSlots.poll();
        long at = TX_AREA + (long) TX_SLOT * slot;
        header.withLen(payload.length).encode(ram.asSlice(at, VsockHeader.SIZE));
        MemorySegment.copy(MemorySegment.ofArray(payload), 0, ram, at + VsockHeader.SIZE, payload.length);
        int head = payload.length == 0
                ? txq.post(new DriverQueue.Buffer(RAM_GPA + at, VsockHeader.SIZE, false))
                : txq.post(new DriverQueue.Buffer(RAM_GPA + at, VsockHeader.SIZE, false),
                        new DriverQueue.Buffer(RAM_GPA + at + VsockHeader.SIZE, payload.length, false));
        txSlotOfHead.put(head, slot);
        Eventfd.signal(kick[1]);
        reclaimTx();
    }

    void send(VsockHeader header) throws IOException {
        send(header, new byte[0]);
    }

    private void reclaimTx() {
        DriverQueue.Used used;
        while ((used = txq.pollUsed()) != null) {
            freeTxSlots.add(txSlotOfHead.remove(used.head()));
        }
    }

    /** The next packet the device delivered, waiting up to {@code timeout}. */
    Packet receive(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.isEmpty()) {
            drainRx();
            if (!received.isEmpty()) {
                break;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("no packet from the device within " + timeout.toMillis() + " ms");
            }
            await(0, Duration.ofNanos(left));
        }
        return received.poll();
    }

    /** Like {@link #receive} but fails unless the packet has {@code op}. */
    Packet expect(int op, Duration timeout) throws IOException {
        Packet p = receive(timeout);
        if (p.op() != op) {
            throw new AssertionError("expected " + VsockHeader.opName(op) + ", got " + p.header());
        }
        return p;
    }

    /** Whether the device delivers no packet within {@code wait}. */
    boolean quietFor(Duration wait) throws IOException {
        try {
            Packet p = receive(wait);
            received.addFirst(p);
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private void drainRx() {
        DriverQueue.Used used;
        boolean reposted = false;
        while ((used = rxq.pollUsed()) != null) {
            int buffer = rxBufferOfHead.remove(used.head());
            VsockHeader h = VsockHeader.decode(ram.asSlice(RX_HEADERS + 64L * buffer, VsockHeader.SIZE));
            if (used.length() != VsockHeader.SIZE + h.len()) {
                throw new AssertionError("used length " + used.length() + " does not match header " + h);
            }
            byte[] payload = ram.asSlice(RX_DATA_AREA + (long) RX_DATA * buffer, h.len()).toArray(
                    java.lang.foreign.ValueLayout.JAVA_BYTE);
            received.add(new Packet(h, payload));
            postRx(buffer);
            reposted = true;
        }
        if (reposted) {
            Eventfd.signal(kick[0]);
        }
    }

    /** Waits for the device to signal queue {@code queue}'s call eventfd. */
    private void await(int queue, Duration timeout) {
        try (Arena arena = Arena.ofConfined()) {
            PollFds pollfd = new PollFds(arena, 1);
            pollfd.set(0, call[queue], PollFds.POLLIN);
            pollfd.poll(1, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            Eventfd.drain(call[queue]);
        }
    }

    int rxAvailable() {
        return rxq.availIndex();
    }

    /** Drops the vhost-user connection as a dying QEMU would. */
    void disconnect() throws IOException {
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (int q = 0; q < 2; q++) {
            LIBC.closeQuietly(kick[q]);
            LIBC.closeQuietly(call[q]);
        }
        SharedMemory.unmap(mapping, RAM_SIZE);
        LIBC.closeQuietly(memfd);
    }

    static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    static String text(byte[] b) {
        return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
    }

    static boolean same(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }
}
