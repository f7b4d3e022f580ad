package io.podvisor.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class VmmProcessTest {
    @TempDir
    Path tmp;

    @Test
    void runsUnderSetprivAndOptionallyInsideANetworkNamespace() {
        assertEquals(List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "qemu", "-M", "microvm"),
                VmmProcess.launchArgv(List.of("qemu", "-M", "microvm"), null));
        assertEquals(List.of("/usr/bin/nsenter", "--net=/var/run/netns/cni-1", "--",
                        "/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "qemu"),
                VmmProcess.launchArgv(List.of("qemu"), Path.of("/var/run/netns/cni-1")));
    }

    @Test
    void earlyDeathFailsTheWaitWithExitStatusAndLogTail() throws Exception {
        Path log = tmp.resolve("qemu.log");
        try (VmmProcess p = VmmProcess.start("pod-x", "qemu",
                List.of("sh", "-c", "echo 'qemu: could not open kernel' >&2; exit 3"), null, log)) {
            VmmException e = assertThrows(VmmException.class,
                    () -> p.awaitSocket(tmp.resolve("qmp.sock"), Duration.ofSeconds(30)));
            assertTrue(e.getMessage().startsWith("VM pod-x: qemu exited with status 3 before it created "), e.getMessage());
            assertTrue(e.getMessage().contains("could not open kernel"), e.getMessage());
        }
    }

    @Test
    void socketThatAppearsEndsTheWait() throws Exception {
        Path socket = tmp.resolve("api.sock");
        try (VmmProcess p = VmmProcess.start("pod-x", "vmm", List.of("sleep", "60"), null, tmp.resolve("log"));
             ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> {
                try {
                    p.awaitSocket(socket, Duration.ofSeconds(30));
                } catch (VmmException e) {
                    throw new RuntimeException(e);
                }
            });
            assertFalse(waited.isDone());
            server.bind(UnixDomainSocketAddress.of(socket));
            waited.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void socketThatNeverAppearsTimesOutWhileTheProcessRuns() throws Exception {
        try (VmmProcess p = VmmProcess.start("pod-x", "vmm", List.of("sleep", "60"), null, tmp.resolve("log"))) {
            VmmException e = assertThrows(VmmException.class,
                    () -> p.awaitSocket(tmp.resolve("never.sock"), Duration.ofMillis(300)));
            assertTrue(e.getMessage().contains("did not create"), e.getMessage());
            assertTrue(p.isAlive());
        }
    }

    @Test
    void missingBinaryIsAClearError() {
        VmmException e = assertThrows(VmmException.class, () -> VmmProcess.start("pod-x", "qemu",
                List.of(tmp.resolve("no-such-qemu").toString()), null, tmp.resolve("log")).awaitSocket(
                tmp.resolve("s"), Duration.ofSeconds(10)));
        assertTrue(e.getMessage().contains("pod-x"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-qemu"), e.getMessage());
    }

    @Test
    void closeKillsAProcessThatIgnoresSigterm() throws Exception {
        Path ready = tmp.resolve("ready");
        VmmProcess p = VmmProcess.start("pod-x", "vmm",
                List.of("sh", "-c", "trap '' TERM; touch " + ready + "; exec sleep 60"), null, tmp.resolve("log"));
        p.awaitSocket(ready, Duration.ofSeconds(10));
        ProcessHandle h = p.handle();
        p.close();
        assertFalse(h.isAlive());
        assertEquals("was killed by signal 9", p.exitDescription());
    }

    @Test
    void runsInsideTheGivenNetworkNamespace() throws Exception {
        String name = "podvisor-test-d-" + ProcessHandle.current().pid();
        run("ip", "netns", "add", name);
        try {
            Path log = tmp.resolve("log");
            try (VmmProcess p = VmmProcess.start("pod-x", "vmm", List.of("readlink", "/proc/self/ns/net"),
                    Path.of("/var/run/netns", name), log)) {
                assertTrue(p.awaitExit(Duration.ofSeconds(10)));
            }
            String inside = Files.readString(log).strip();
            String outside = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
            assertTrue(inside.startsWith("net:["), inside);
            assertNotEquals(outside, inside);
        } finally {
            run("ip", "netns", "del", name);
        }
    }

    @Test
    void missingNetworkNamespaceIsAClearError() {
        VmmException e = assertThrows(VmmException.class, () -> VmmProcess.start("pod-x", "qemu",
                List.of("true"), tmp.resolve("gone-netns"), tmp.resolve("log")));
        assertTrue(e.getMessage().contains("network namespace " + tmp.resolve("gone-netns")), e.getMessage());
    }

    /** The kernel's parent-death signal follows the forking thread; that thread ending must not kill the child. */
    @Test
    void processOutlivesTheThreadThatStartedIt() throws Exception {
        AtomicReference<VmmProcess> started = new AtomicReference<>();
        Thread starter = Thread.ofPlatform().start(() -> {
            try {
                started.set(VmmProcess.start("pod-x", "vmm", List.of("sleep", "60"), null, tmp.resolve("log")));
            } catch (VmmException e) {
                throw new RuntimeException(e);
            }
        });
        starter.join();
        try (VmmProcess p = started.get()) {
            assertFalse(p.awaitExit(Duration.ofMillis(500)), "child died with the thread that started it");
        }
    }

    @Test
    void processDiesWithAKilledJvm() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process jvm = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                OrphanCandidate.class.getName(), tmp.resolve("log").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long childPid;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
            childPid = Long.parseLong(out.readLine());
        }
        ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
        try {
            assertTrue(child.isAlive());
            jvm.destroyForcibly().waitFor();
            child.onExit().get(10, TimeUnit.SECONDS);
        } finally {
            child.destroyForcibly();
        }
    }

    /** Starts a long sleep through VmmProcess, prints its pid, then waits to be killed. */
    static final class OrphanCandidate {
        public static void main(String[] args) throws Exception {
            VmmProcess p = VmmProcess.start("orphan", "sleep", List.of("sleep", "600"), null, Path.of(args[0]));
            System.out.println(p.pid());
            System.out.flush();
            Thread.sleep(Duration.ofMinutes(5));
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
    }
}
