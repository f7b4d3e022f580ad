package io.podvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool's bookkeeping with stand-in VM processes (a shell that sleeps, named like a pool VM): refill, the memory
 * check, claims, dead VMs' files and stop. The VMs themselves are tested through containerd in CriWarmPoolIT.
 */
class WarmPoolTest {
    /** Stands in for the shim binary: the pool appends "-namespace podvisor-warm -id NAME warm-vm". */
    private static final List<String> SLEEPER = List.of("/bin/sh", "-c", "sleep 60; :", "sh");

    @TempDir
    Path dir;

    private final List<String> cleaned = new ArrayList<>();
    private long hostMiB = 1;
    private WarmPool pool;

    @AfterEach
    void stopAll() throws IOException {
        if (pool != null) {
            pool.stop(Duration.ofSeconds(5));
        }
    }

    private WarmPool pool(Map<String, Integer> sizes) {
        pool = new WarmPool(new WarmPoolPlan() {
            @Override
            public Path dir() {
                return dir.resolve("warm");
            }

            @Override
            public Map<String, Integer> sizes() {
                return sizes;
            }

            @Override
            public long hostMiB(String shape) {
                return hostMiB;
            }

            @Override
            public Optional<String> shapeOf(Path bundle) {
                return Optional.of(bundle.getFileName().toString());
            }

            @Override
            public Vm boot(String name, String shape) {
                throw new UnsupportedOperationException("not in this test");
            }

            @Override
            public void cleanup(String name) {
                cleaned.add(name);
            }
        });
        return pool;
    }

    @Test
    void refillStartsWhatEachShapeLacksOnce() throws Exception {
        WarmPool pool = pool(Map.of("2x256", 2, "1x512", 1));

        String started = pool.refill(SLEEPER, Optional.empty(), Duration.ZERO);

        assertTrue(started.startsWith("warm pool: starting "), started);
        List<WarmPool.Member> members = pool.members();
        assertEquals(3, members.size(), members.toString());
        assertEquals(2, members.stream().filter(m -> m.shape().equals("2x256")).count());
        assertTrue(members.stream().noneMatch(WarmPool.Member::ready), "no claim socket yet: booting");
        assertEquals("the warm pool is full", pool.refill(SLEEPER, Optional.empty(), Duration.ZERO));
    }

    @Test
    void aPoolThatDoesNotFitTheHostsMemoryIsRefusedWithTheNumbers() throws Exception {
        hostMiB = 1L << 40;
        WarmPool pool = pool(Map.of("2x256", 2));

        String refused = pool.refill(SLEEPER, Optional.of(Path.of("/etc/podvisor/config.toml")), Duration.ZERO);

        assertTrue(refused.startsWith("warm pool refused: 2 more VMs (2 vCPUs, 256 MiB, 2 vCPUs, 256 MiB) need "
                + 2 * hostMiB + " MiB of host memory"), refused);
        assertTrue(refused.contains("MiB available: lower the [[pool]] sizes in /etc/podvisor/config.toml"), refused);
        assertEquals(Optional.of(refused), pool.refused());
        assertTrue(pool.members().isEmpty());
    }

    @Test
    void aDeadVmsFilesAndWhatItLeftAreCleanedUp() throws Exception {
        WarmPool pool = pool(Map.of("2x256", 1));
        Files.createDirectories(dir.resolve("warm"));
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(pool.pidFile("warm-2x256-0badf00d"), Long.toString(gone.pid()));
        Files.writeString(pool.socket("warm-2x256-0badf00d"), "");

        assertTrue(pool.members().isEmpty());
        assertEquals(List.of("warm-2x256-0badf00d"), cleaned);
        assertFalse(Files.exists(pool.pidFile("warm-2x256-0badf00d")));
        assertFalse(Files.exists(pool.socket("warm-2x256-0badf00d")));
    }

    @Test
    void aClaimGoesToAReadyVmOfThePodsShapeWithTheShimsSocketAndBundle() throws Exception {
        WarmPool pool = pool(Map.of("2x256", 1));
        pool.refill(SLEEPER, Optional.empty(), Duration.ZERO);
        String name = pool.members().getFirst().name();
        ShimContext context = new ShimContext("k8s.io", "pod1", "/run/containerd/containerd.sock",
                "/run/containerd/containerd.sock.ttrpc", "/usr/bin/containerd", dir.resolve("2x256"), false,
                Path.of("/run/containerd/s/abc"));
        try (ServerSocketChannel vm = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            CompletableFuture<JsonNode> asked = answerOneClaim(vm, pool.socket(name), "ready");

            WarmPool.Claim claim = pool.claim(context);

            assertEquals(Optional.of(name), claim.vm());
            assertEquals(context, WarmPool.context(asked.get()));
        }
    }

    @Test
    void aStaleVmIsPassedOverAndThePodIsToldWhy() throws Exception {
        WarmPool pool = pool(Map.of("2x256", 1));
        pool.refill(SLEEPER, Optional.empty(), Duration.ZERO);
        String name = pool.members().getFirst().name();
        ShimContext context = new ShimContext("k8s.io", "pod1", "a", "a.ttrpc", "c", dir.resolve("2x256"), false,
                Path.of("/run/containerd/s/abc"));
        try (ServerSocketChannel vm = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            answerOneClaim(vm, pool.socket(name), "stale: it booted guest image /a, the node's is /b now");

            WarmPool.Claim claim = pool.claim(context);

            assertTrue(claim.vm().isEmpty());
            assertEquals("no warm VM of its shape 2 vCPUs, 256 MiB is ready (0 booting, 1 stopped as stale, pool size 1)",
                    claim.coldReason());
        }
    }

    /** Stands in for a ready pool VM on {@code socket}: reads one claim, answers {@code answer}. */
    private static CompletableFuture<JsonNode> answerOneClaim(ServerSocketChannel vm, Path socket, String answer)
            throws IOException {
        vm.bind(UnixDomainSocketAddress.of(socket));
        CompletableFuture<JsonNode> asked = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel claim = vm.accept()) {
                InputStream in = Channels.newInputStream(claim);
                asked.complete(new ObjectMapper().readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                claim.write(ByteBuffer.wrap((answer + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                asked.completeExceptionally(e);
            }
        });
        return asked;
    }

    @Test
    void aPodOfAnotherShapeBootsColdAndIsToldWhy() throws Exception {
        WarmPool pool = pool(Map.of("2x256", 1));
        ShimContext context = new ShimContext("k8s.io", "pod1", "a", "a.ttrpc", "c", dir.resolve("1x1024"), false,
                Path.of("/run/containerd/s/abc"));

        WarmPool.Claim claim = pool.claim(context);

        assertTrue(claim.vm().isEmpty());
        assertEquals("the warm pool keeps no VM of its shape 1 vCPUs, 1024 MiB (it keeps 2 vCPUs, 256 MiB)",
                claim.coldReason());
    }

    @Test
    void stopEndsEveryPoolProcess() throws Exception {
        WarmPool pool = pool(Map.of("2x256", 2));
        pool.refill(SLEEPER, Optional.empty(), Duration.ZERO);
        List<Long> pids = pool.members().stream().map(WarmPool.Member::pid).toList();

        pool.stop(Duration.ofSeconds(5));

        assertTrue(pool.members().isEmpty());
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid);
        }
    }
}
