package io.podvisor.hypervisor.vsock;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

import io.podvisor.hypervisor.vsock.packet.TxPacket;
import io.podvisor.hypervisor.vsock.packet.VsockHeader;
import io.podvisor.hypervisor.vsock.virtq.DriverQueue;
import io.podvisor.hypervisor.vsock.virtq.SplitVirtqueue;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A guest driver that lies: it drives both rings of a {@link SimulatedGuest} by hand and fills
 * them with what a hostile guest kernel could write, mostly plausible packets with wrong fields,
 * and garbage descriptors, loops, bad heads and, rarely, a broken ring index. After each round it
 * checks what the device did in guest memory: every TX chain given back in order, every RX packet
 * well formed and within the buffer the guest posted. One "iteration" is one chain made available.
 */
final class HostileGuest {
    static final int HOST_LISTENER_PORT = 1025;

    private static final long RX_HEADERS = 0x8000;
    private static final long RX_DATA_AREA = 0x10000;
    private static final long GARBAGE_RX_AREA = 0x60000;
    private static final long TX_AREA = 0x100000;
    private static final long TX_AREA_END = SimulatedGuest.RAM_SIZE;
    private static final int SANE_RX = 32;
    private static final int GARBAGE_RX_SLOTS = 16;
    private static final int MAX_TX_PER_ROUND = 24;
    /** One in this many rounds breaks the TX ring's index, which must stop the device until a reset. */
    private static final int RING_ABUSE_ODDS = 500;
    private static final Duration TX_WAIT = Duration.ofSeconds(10);

    /** A chain made available and not yet given back: its head and how many bytes the device may write. */
    private record Posted(int head, long writable, int saneRx, int garbageSlot) {
    }

    private final SimulatedGuest guest;
    private final long cid;
    private final Path hybridSocket;
    private final LongConsumer awaitDeviceBreaks;
    private final SplittableRandom random;
    private final Deque<Posted> rxPosted = new ArrayDeque<>();
    private final boolean[] garbageSlotBusy = new boolean[GARBAGE_RX_SLOTS];
    private final List<Integer> learnedHostPorts = new ArrayList<>();
    private final Deque<VsockHeader> answers = new ArrayDeque<>();
    private DriverQueue txq;
    private DriverQueue rxq;
    private int txUsedSeen;
    private int rxUsedSeen;

    long iterations;
    long txChains;
    long rxChains;
    long ringAbuses;
    long rxPacketsChecked;

    /**
     * @param awaitDeviceBreaks returns once the backend has logged that many device breaks, or fails
     */
    HostileGuest(SimulatedGuest guest, long cid, Path hybridSocket, LongConsumer awaitDeviceBreaks, long seed)
            throws IOException {
        this.awaitDeviceBreaks = awaitDeviceBreaks;
        this.guest = guest;
        this.cid = cid;
        this.hybridSocket = hybridSocket;
        this.random = new SplittableRandom(seed);
        freshRings();
    }

    private void freshRings() throws IOException {
        guest.resetRings();
        txq = guest.txQueue();
        rxq = guest.rxQueue();
        txUsedSeen = 0;
        rxUsedSeen = 0;
        rxPosted.clear();
        java.util.Arrays.fill(garbageSlotBusy, false);
        answers.clear();
        for (int i = 0; i < SANE_RX; i++) {
            postSaneRx(i);
        }
        guest.kick(0);
    }

    /** One round: RX buffers and TX chains made available, the device let through them, its work checked. */
    void round() throws IOException {
        if (random.nextInt(4) == 0) {
            postGarbageRx();
        }
        int chains = 1 + random.nextInt(MAX_TX_PER_ROUND);
        boolean abuse = random.nextInt(RING_ABUSE_ODDS) == 0;
        long txOffset = TX_AREA;
        int desc = 0;
        int published = 0;
        for (int i = 0; i < chains && desc < txq.size - 8; i++) {
            long[] cursor = {txOffset};
            int used = writeTxChain(desc, cursor);
            txOffset = cursor[0];
            desc += Math.max(used, 0);
            published++;
            if (txOffset > TX_AREA_END - TxPacket.MAX_PAYLOAD - 2L * VsockHeader.SIZE) {
                break;
            }
        }
        iterations += published;
        txChains += published;
        guest.kick(1);
        checkTxReturned(published);
        checkRx();
        guest.kick(0);
        if (abuse) {
            ringAbuses++;
            breakTxIndex();
            guest.kick(1);
            awaitDeviceBreaks.accept(ringAbuses);
            requireRefusesHostClients();
            freshRings();
        }
    }

    // ---- TX ----

    /** Writes one chain from descriptor {@code first} on and publishes it; returns the descriptors it used. */
    private int writeTxChain(int first, long[] cursor) {
        switch (random.nextInt(12)) {
            case 0, 1 -> {
                return garbageChain(txq, first, 1 + random.nextInt(6), 0);
            }
            case 2 -> {
                txq.publish(txq.size + random.nextInt(0x10000 - txq.size));
                return 0;
            }
            case 3 -> {
                // A loop: the last descriptor points back into the chain.
                int n = 1 + random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    int next = i + 1 < n ? first + i + 1 : first + random.nextInt(n);
                    txq.writeDescriptor(first + i, SimulatedGuest.RAM_GPA + cursor[0], VsockHeader.SIZE,
                            SplitVirtqueue.DESC_F_NEXT, next);
                }
                txq.publish(first);
                return n;
            }
            default -> {
                VsockHeader h = answers.isEmpty() || random.nextInt(3) == 0 ? randomHeader() : answers.poll();
                return packetChain(first, cursor, h);
            }
        }
    }

    private VsockHeader randomHeader() {
        long src = random.nextInt(25) == 0 ? randomCid() : cid;
        long dst = random.nextInt(25) == 0 ? randomCid() : VsockHeader.HOST_CID;
        int type = random.nextInt(25) == 0 ? random.nextInt(4) : VsockHeader.TYPE_STREAM;
        int op = random.nextInt(9);
        int srcPort = 40000 + random.nextInt(8);
        int dstPort = switch (random.nextInt(6)) {
            case 0, 1 -> HOST_LISTENER_PORT;
            case 2 -> HOST_LISTENER_PORT + 1;
            case 3 -> random.nextInt();
            default -> learnedHostPorts.isEmpty() ? HOST_LISTENER_PORT
                    : learnedHostPorts.get(random.nextInt(learnedHostPorts.size()));
        };
        if (dstPort != HOST_LISTENER_PORT && dstPort != HOST_LISTENER_PORT + 1 && random.nextBoolean()) {
            srcPort = 1024;
        }
        int bufAlloc = pick(0, 1, 4096, 64 * 1024, 256 * 1024, -1, random.nextInt());
        int fwdCnt = pick(0, 0, 0, random.nextInt(), -1);
        return new VsockHeader(src, dst, srcPort, dstPort, 0, type, op, random.nextInt(4), bufAlloc, fwdCnt);
    }

    private long randomCid() {
        return switch (random.nextInt(4)) {
            case 0 -> VsockHeader.HOST_CID;
            case 1 -> cid + 1;
            case 2 -> -1L;
            default -> random.nextLong();
        };
    }

    /** A packet chain: the header (maybe split), a payload, and a len that is usually right. */
    private int packetChain(int first, long[] cursor, VsockHeader h) {
        int payload = random.nextInt(5) == 0 ? random.nextInt(TxPacket.MAX_PAYLOAD + 1) : random.nextInt(512);
        int len = switch (random.nextInt(10)) {
            case 0 -> payload + 1 + random.nextInt(64);
            case 1 -> pick(-1, TxPacket.MAX_PAYLOAD + 1, Integer.MAX_VALUE, random.nextInt());
            case 2 -> random.nextInt(payload + 1);
            default -> payload;
        };
        long at = cursor[0];
        MemorySegment ram = guest.ram();
        h.withLen(len).encode(ram.asSlice(at, VsockHeader.SIZE));
        cursor[0] = (at + VsockHeader.SIZE + payload + 15) & ~15L;
        List<long[]> pieces = new ArrayList<>();
        int headerCut = random.nextInt(4) == 0 ? 1 + random.nextInt(VsockHeader.SIZE - 1) : VsockHeader.SIZE;
        pieces.add(new long[] {at, headerCut});
        long rest = VsockHeader.SIZE - headerCut + payload;
        long from = at + headerCut;
        int parts = random.nextInt(4) == 0 ? 3 : 1;
        for (int i = 0; i < parts && rest > 0; i++) {
            long n = i + 1 == parts ? rest : random.nextLong(rest + 1);
            pieces.add(new long[] {from, n});
            from += n;
            rest -= n;
        }
        boolean writableTail = random.nextInt(20) == 0;
        int writableAt = writableTail ? (random.nextBoolean() ? pieces.size() - 1 : pieces.size()) : -1;
        if (writableTail && writableAt == pieces.size()) {
            pieces.add(new long[] {at, 16});
        }
        for (int i = 0; i < pieces.size(); i++) {
            boolean last = i + 1 == pieces.size();
            int flags = (last ? 0 : SplitVirtqueue.DESC_F_NEXT) | (i == writableAt ? SplitVirtqueue.DESC_F_WRITE : 0);
            txq.writeDescriptor(first + i, SimulatedGuest.RAM_GPA + pieces.get(i)[0], (int) pieces.get(i)[1], flags,
                    last ? 0 : first + i + 1);
        }
        txq.publish(first);
        return pieces.size();
    }

    /** {@code n} descriptors of anything, chained from {@code first}; the last one's next is anything from {@code lowestNext} on. */
    private int garbageChain(DriverQueue q, int first, int n, int lowestNext) {
        for (int i = 0; i < n; i++) {
            long gpa = switch (random.nextInt(7)) {
                case 0 -> 0;
                case 1 -> -1L - random.nextInt(64);
                case 2 -> SimulatedGuest.RAM_GPA + SimulatedGuest.RAM_SIZE - random.nextInt(64);
                case 3 -> SimulatedGuest.RAM_GPA - 1 - random.nextInt(64);
                case 4 -> random.nextLong();
                default -> SimulatedGuest.RAM_GPA + TX_AREA + random.nextLong(TX_AREA_END - TX_AREA - 4096);
            };
            int length = pick(0, 1, VsockHeader.SIZE, 4096, -1, (int) SimulatedGuest.RAM_SIZE, random.nextInt());
            int flags = random.nextInt(8);
            boolean last = i + 1 == n;
            int next = last ? lowestNext + random.nextInt(q.size + 16 - lowestNext) : first + i + 1;
            if (!last) {
                flags |= SplitVirtqueue.DESC_F_NEXT;
            }
            q.writeDescriptor(first + i, gpa, length, flags, next);
        }
        q.publish(first);
        return n;
    }

    private void breakTxIndex() {
        int ahead = SimulatedGuest.QUEUE_SIZE + 1 + random.nextInt(0x10000 - 2 * SimulatedGuest.QUEUE_SIZE);
        guest.ram().set(JAVA_SHORT, txq.availGpa + 2 - SimulatedGuest.RAM_GPA, (short) (usedIndex(txq) + ahead));
    }

    /** A broken device turns host clients away at once instead of letting them wait for a guest that cannot answer. */
    private void requireRefusesHostClients() {
        long start = System.nanoTime();
        try (SocketChannel c = HybridClient.connect(hybridSocket, 1024, Duration.ofSeconds(5))) {
            throw new AssertionError("a host client got through to a guest that broke its TX ring");
        } catch (IOException expected) {
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (millis > 2_000) {
                throw new AssertionError("a host client of a broken device was refused only after " + millis + " ms");
            }
        }
    }

    /** Every TX chain comes back, bad or not; waits for them as a driver would, on the interrupt. */
    private void checkTxReturned(int published) {
        long deadline = System.nanoTime() + TX_WAIT.toNanos();
        int usedIdx = usedIndex(txq);
        while (((usedIdx - txUsedSeen) & 0xffff) < published && System.nanoTime() < deadline) {
            guest.awaitInterrupt(1, Duration.ofMillis(100));
            usedIdx = usedIndex(txq);
        }
        int returned = (usedIdx - txUsedSeen) & 0xffff;
        if (returned != published) {
            throw new AssertionError("the device gave back " + returned + " of the " + published
                    + " TX chains made available");
        }
        for (int i = 0; i < returned; i++) {
            int length = usedLength(txq, txUsedSeen + i);
            if (length != 0) {
                throw new AssertionError("the device says it wrote " + length + " bytes into a TX chain");
            }
        }
        txUsedSeen = usedIdx;
    }

    // ---- RX ----

    private void postSaneRx(int buffer) {
        int head = 2 * buffer;
        rxq.writeDescriptor(head, SimulatedGuest.RAM_GPA + RX_HEADERS + 64L * buffer, VsockHeader.SIZE,
                SplitVirtqueue.DESC_F_WRITE | SplitVirtqueue.DESC_F_NEXT, head + 1);
        rxq.writeDescriptor(head + 1, SimulatedGuest.RAM_GPA + RX_DATA_AREA + (long) SimulatedGuest.RX_DATA * buffer,
                SimulatedGuest.RX_DATA, SplitVirtqueue.DESC_F_WRITE, 0);
        rxq.publish(head);
        rxPosted.add(new Posted(head, VsockHeader.SIZE + SimulatedGuest.RX_DATA, buffer, -1));
        rxChains++;
        iterations++;
    }

    /** An RX chain too small, read-only, outside memory or with a bad head; it uses one of 16 descriptor slots. */
    private void postGarbageRx() {
        int slot = -1;
        for (int i = 0; i < GARBAGE_RX_SLOTS; i++) {
            if (!garbageSlotBusy[i]) {
                slot = i;
                break;
            }
        }
        if (slot < 0 || rxPosted.size() >= rxq.size) {
            return;
        }
        int first = 2 * SANE_RX + 4 * slot;
        long area = SimulatedGuest.RAM_GPA + GARBAGE_RX_AREA + 0x1000L * slot;
        long writable = 0;
        int head = first;
        switch (random.nextInt(4)) {
            case 0 -> {
                int n = 1 + random.nextInt(VsockHeader.SIZE + 20);
                rxq.writeDescriptor(first, area, n, SplitVirtqueue.DESC_F_WRITE, 0);
                writable = n;
                rxq.publish(first);
            }
            case 1 -> {
                rxq.writeDescriptor(first, area, 4096, 0, 0);
                rxq.publish(first);
            }
            case 2 -> {
                // Its last next stays off the sane buffers' descriptors, whose contents are checked.
                garbageChain(rxq, first, 1 + random.nextInt(4), 2 * SANE_RX);
                writable = -1;
            }
            default -> {
                head = rxq.size + random.nextInt(0x10000 - rxq.size);
                rxq.publish(head);
            }
        }
        garbageSlotBusy[slot] = true;
        rxPosted.add(new Posted(head, writable, -1, slot));
        rxChains++;
        iterations++;
    }

    private void checkRx() {
        int usedIdx = usedIndex(rxq);
        while (rxUsedSeen != usedIdx) {
            Posted posted = rxPosted.poll();
            if (posted == null) {
                throw new AssertionError("the device gave back more RX chains than were made available");
            }
            int head = usedHead(rxq, rxUsedSeen);
            int length = usedLength(rxq, rxUsedSeen);
            rxUsedSeen = (rxUsedSeen + 1) & 0xffff;
            if (head != posted.head()) {
                throw new AssertionError("RX chain " + head + " given back where " + posted.head() + " was next");
            }
            if (length < 0 || (posted.writable() >= 0 && length > posted.writable())) {
                throw new AssertionError("the device wrote " + Integer.toUnsignedString(length) + " bytes into an RX chain of "
                        + posted.writable());
            }
            if (posted.saneRx() >= 0) {
                checkRxPacket(posted.saneRx(), length);
                postSaneRx(posted.saneRx());
            } else {
                garbageSlotBusy[posted.garbageSlot()] = false;
            }
        }
    }

    private void checkRxPacket(int buffer, int length) {
        if (length == 0) {
            return;
        }
        VsockHeader h = VsockHeader.decode(guest.ram().asSlice(RX_HEADERS + 64L * buffer, VsockHeader.SIZE));
        rxPacketsChecked++;
        // An RST answering a packet of another type carries that type, as Linux's own reset does.
        if (length != VsockHeader.SIZE + h.len() || h.len() < 0 || h.len() > SimulatedGuest.RX_DATA
                || h.srcCid() != VsockHeader.HOST_CID || h.dstCid() != cid
                || (h.type() != VsockHeader.TYPE_STREAM && h.op() != VsockHeader.OP_RST)) {
            throw new AssertionError("malformed RX packet of " + length + " bytes: " + h);
        }
        if (answers.size() >= 256) {
            return;
        }
        if (h.op() == VsockHeader.OP_REQUEST) {
            if (learnedHostPorts.size() < 64) {
                learnedHostPorts.add(h.srcPort());
            }
            answers.add(new VsockHeader(cid, VsockHeader.HOST_CID, h.dstPort(), h.srcPort(), 0,
                    VsockHeader.TYPE_STREAM, VsockHeader.OP_RESPONSE, 0, 64 * 1024, 0));
        } else if (h.op() == VsockHeader.OP_RW && random.nextBoolean()) {
            answers.add(new VsockHeader(cid, VsockHeader.HOST_CID, h.dstPort(), h.srcPort(), 0,
                    VsockHeader.TYPE_STREAM, VsockHeader.OP_RW, 0, 64 * 1024, 0));
        }
    }

    // ---- used ring, read raw (the driver queue's own bookkeeping would follow garbage chains) ----

    private int usedIndex(DriverQueue q) {
        java.lang.invoke.VarHandle.fullFence();
        return Short.toUnsignedInt(guest.ram().get(JAVA_SHORT, q.usedGpa + 2 - SimulatedGuest.RAM_GPA));
    }

    private int usedHead(DriverQueue q, int index) {
        return guest.ram().get(JAVA_INT, q.usedGpa + 4 + 8L * (index % q.size) - SimulatedGuest.RAM_GPA);
    }

    private int usedLength(DriverQueue q, int index) {
        return guest.ram().get(JAVA_INT, q.usedGpa + 8 + 8L * (index % q.size) - SimulatedGuest.RAM_GPA);
    }

    private int pick(int... choices) {
        return choices[random.nextInt(choices.length)];
    }
}
