package io.podvisor.hypervisor.vsock;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import io.podvisor.hypervisor.vsock.packet.VsockHeader;

/**
 * One fuzz run: two VMs' backends on real sockets and memfd memory; a {@link HostileGuest} attacks
 * VM "fuzzed" while host programs connect to it and accept its connections (some reading, some
 * not), and VM "bystander" must keep echoing through all of it. Afterwards VM "fuzzed" must work
 * again once its driver resets the device. Findings: any exception the backend logged, any
 * invariant {@link HostileGuest} saw broken, any failed echo.
 */
final class VsockFuzzRun implements AutoCloseable {
    private static final long FUZZED_CID = 3;
    private static final long BYSTANDER_CID = 4;
    private static final Duration WAIT = Duration.ofSeconds(5);
    /** The guest port the echo checks use; the host clients dialling during the run never use it. */
    private static final int ECHO_PORT = 7000;

    record Result(long iterations, long rounds, long txChains, long rxChains, long rxPacketsChecked,
                  long ringAbuses, long deviceBreaks, long hostConnections, long bystanderEchoes,
                  Duration elapsed) {
        @Override
        public String toString() {
            return String.format("%,d iterations (%,d TX chains, %,d RX chains) in %,d rounds, %.1f s; %,d RX packets"
                            + " checked; %,d ring abuses, %,d device breaks; %,d host connections accepted; %,d bystander"
                            + " echoes", iterations, txChains, rxChains, rounds, elapsed.toMillis() / 1000.0,
                    rxPacketsChecked, ringAbuses, deviceBreaks, hostConnections, bystanderEchoes);
        }
    }

    private final Path dir;
    private final LogCapture logs = new LogCapture();
    private final VhostUserVsockBackend fuzzed;
    private final VhostUserVsockBackend bystander;
    private final SimulatedGuest fuzzedGuest;
    private final SimulatedGuest bystanderGuest;
    private final ServerSocketChannel hostListener;
    private final Thread acceptor;
    private final ConcurrentLinkedQueue<SocketChannel> heldByHost = new ConcurrentLinkedQueue<>();
    private volatile long hostConnections;

    VsockFuzzRun(Path dir) throws IOException {
        this.dir = dir;
        fuzzed = VhostUserVsockBackend.start("fuzzed", dir.resolve("a.vhost"), dir.resolve("a.vsock"), FUZZED_CID);
        bystander = VhostUserVsockBackend.start("bystander", dir.resolve("b.vhost"), dir.resolve("b.vsock"),
                BYSTANDER_CID);
        fuzzedGuest = new SimulatedGuest(dir.resolve("a.vhost"), FUZZED_CID);
        bystanderGuest = new SimulatedGuest(dir.resolve("b.vhost"), BYSTANDER_CID);
        hostListener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        hostListener.bind(UnixDomainSocketAddress.of(Path.of(dir.resolve("a.vsock") + "_" + HostileGuest.HOST_LISTENER_PORT)),
                512);
        acceptor = Thread.ofPlatform().name("fuzz-host-listener").daemon().start(this::acceptHostConnections);
    }

    /** Host programs behind the fuzzed guest's connections: half echo-and-drain, half never read until let go. */
    private void acceptHostConnections() {
        SplittableRandom random = new SplittableRandom(1);
        while (true) {
            SocketChannel c;
            try {
                c = hostListener.accept();
            } catch (IOException e) {
                return;
            }
            hostConnections++;
            if (random.nextBoolean()) {
                heldByHost.add(c);
                continue;
            }
            int toSend = random.nextInt(8192);
            Thread.ofVirtual().start(() -> {
                try (c) {
                    c.write(ByteBuffer.allocate(toSend));
                    ByteBuffer sink = ByteBuffer.allocate(16384);
                    while (c.read(sink.clear()) >= 0) {
                        // drain until the backend closes its end
                    }
                } catch (IOException ignored) {
                    // the backend reset the connection: expected under fuzzing
                }
            });
        }
    }

    /** Host clients dialling the fuzzed guest, which may answer, refuse, or never answer. */
    private void dialGuest(int port) {
        Thread.ofVirtual().start(() -> {
            try (SocketChannel c = HybridClient.connect(dir.resolve("a.vsock"), port, Duration.ofMillis(500))) {
                c.write(ByteBuffer.allocate(100));
            } catch (IOException ignored) {
                // refused or timed out: the guest is hostile
            }
        });
    }

    Result run(long seed, long iterations) throws Exception {
        long start = System.nanoTime();
        HostileGuest hostile = new HostileGuest(fuzzedGuest, FUZZED_CID, dir.resolve("a.vsock"), logs::awaitDeviceBreaks,
                seed);
        long rounds = 0;
        long echoes = 0;
        while (hostile.iterations < iterations) {
            try {
                hostile.round();
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + " (round " + rounds + "; the backend's last words: "
                        + logs.recent() + ")", e);
            }
            rounds++;
            if (rounds % 32 == 0) {
                dialGuest(rounds % 64 == 0 ? 1024 : 2000 + (int) (rounds % 7));
            }
            if (rounds % 64 == 0) {
                SocketChannel c;
                while ((c = heldByHost.poll()) != null) {
                    c.close();
                }
            }
            if (rounds % 512 == 0) {
                echo(bystanderGuest, dir.resolve("b.vsock"), "bystander round " + rounds);
                echoes++;
            }
            logs.requireNoFinding();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        echo(bystanderGuest, dir.resolve("b.vsock"), "bystander after the run");
        fuzzedGuest.resetDevice();
        echo(fuzzedGuest, dir.resolve("a.vsock"), "fuzzed guest after a device reset");
        logs.requireNoFinding();
        if (logs.deviceBreaks != hostile.ringAbuses) {
            throw new AssertionError("the device broke " + logs.deviceBreaks + " times for " + hostile.ringAbuses
                    + " broken rings");
        }
        return new Result(hostile.iterations, rounds, hostile.txChains, hostile.rxChains, hostile.rxPacketsChecked,
                hostile.ringAbuses, logs.deviceBreaks, hostConnections, echoes + 1, elapsed);
    }

    /** A host client reaches guest port {@link #ECHO_PORT} and the guest's answer comes back intact. */
    private static void echo(SimulatedGuest guest, Path hybrid, String what) throws Exception {
        CompletableFuture<SocketChannel> client = CompletableFuture.supplyAsync(() -> {
            try {
                return HybridClient.connect(hybrid, ECHO_PORT, WAIT);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        VsockHeader request;
        do {
            request = guest.receive(WAIT).header();
        } while (request.op() != VsockHeader.OP_REQUEST || request.dstPort() != ECHO_PORT);
        int hostPort = request.srcPort();
        guest.send(guest.header(VsockHeader.OP_RESPONSE, ECHO_PORT, hostPort, 0, 65536, 0));
        try (SocketChannel c = client.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            guest.send(guest.header(VsockHeader.OP_RW, ECHO_PORT, hostPort, 0, 65536, 0), SimulatedGuest.bytes("alive"));
            ByteBuffer b = ByteBuffer.allocate(5);
            while (b.hasRemaining() && c.read(b) >= 0) {
                // read the answer
            }
            if (!"alive".equals(new String(b.array(), 0, b.position()))) {
                throw new AssertionError(what + ": echo came back as '" + new String(b.array(), 0, b.position()) + "'");
            }
        }
        guest.send(guest.header(VsockHeader.OP_RST, ECHO_PORT, hostPort, 0, 0, 0));
    }

    @Override
    public void close() throws IOException {
        hostListener.close();
        SocketChannel c;
        while ((c = heldByHost.poll()) != null) {
            c.close();
        }
        fuzzedGuest.close();
        bystanderGuest.close();
        fuzzed.close();
        bystander.close();
        logs.close();
    }

    /**
     * The backend's log during the run, kept off the console: exceptions are findings; "broken by the
     * guest" errors are counted.
     */
    private static final class LogCapture extends Handler implements AutoCloseable {
        private final Logger logger = Logger.getLogger("io.podvisor.hypervisor.vsock");
        private final boolean usedParentHandlers = logger.getUseParentHandlers();
        private final SimpleFormatter formatter = new SimpleFormatter();
        private final List<String> findings = new ArrayList<>();
        private final java.util.ArrayDeque<String> recent = new java.util.ArrayDeque<>();
        volatile long deviceBreaks;

        LogCapture() {
            logger.addHandler(this);
            logger.setUseParentHandlers(false);
        }

        @Override
        public synchronized void publish(LogRecord r) {
            String message = formatter.formatMessage(r);
            recent.add(r.getLevel() + " " + message);
            if (recent.size() > 5) {
                recent.poll();
            }
            if (r.getThrown() != null) {
                findings.add(message + ": " + r.getThrown());
            } else if (r.getLevel() == Level.SEVERE && message.contains("broken by the guest")) {
                deviceBreaks++;
                notifyAll();
            } else if (r.getLevel() == Level.SEVERE) {
                findings.add(message);
            }
        }

        synchronized void awaitDeviceBreaks(long count) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            try {
                while (deviceBreaks < count) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("the device did not break on a broken ring within " + WAIT.toSeconds()
                                + " s (" + deviceBreaks + " breaks for " + count + " broken rings)");
                    }
                    wait(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        synchronized String recent() {
            return String.join(" | ", recent);
        }

        synchronized void requireNoFinding() {
            if (!findings.isEmpty()) {
                throw new AssertionError("the backend logged " + findings.size() + " error(s), first: "
                        + findings.getFirst());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
            logger.setUseParentHandlers(usedParentHandlers);
        }
    }
}
