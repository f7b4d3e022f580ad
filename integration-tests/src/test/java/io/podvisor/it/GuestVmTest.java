package io.podvisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.Vmm;
import io.podvisor.proto.agent.v1.GuestInfo;
import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.AgentException;
import io.podvisor.shim.agent.GuestAgent;
import io.podvisor.shim.agent.HybridVsock;
import io.podvisor.shim.agent.Versions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One real VM booted from the built guest image, its agent reached over hybrid vsock. */
@Timeout(300)
class GuestVmTest {
    private static Path runDir;
    private static Vmm vm;
    private static AgentClient agent;

    @BeforeAll
    static void boot() throws IOException {
        runDir = Files.createTempDirectory("podvisor-it-vm");
        vm = TestVms.create("guest-vm-test", runDir, List.of());
        agent = GuestAgent.boot(vm, TestVms.config().agentReadyTimeout());
    }

    @AfterAll
    static void tearDown() {
        if (agent != null) {
            agent.close();
        }
        if (vm != null) {
            vm.close();
        }
    }

    @Test
    void guestRunsItsOwnKernelNotTheHosts() throws Exception {
        GuestInfo info = agent.guestInfo();
        String hostRelease = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertTrue(info.getKernelRelease().endsWith("-cloud-amd64"), info.getKernelRelease());
        assertNotEquals(hostRelease, info.getKernelRelease());
        assertEquals(Versions.host(), info.getAgentVersion());
        assertEquals(vm.spec().vcpus(), info.getCpus());
        assertTrue(info.getMemoryTotalBytes() > 64L << 20 && info.getMemoryTotalBytes() <= vm.spec().memoryMiB() << 20,
                "guest memory " + info.getMemoryTotalBytes());
    }

    @Test
    void theAgentRunningIsTheOneTheImageWasBuiltWith() throws Exception {
        boolean nativeAgent = Files.readString(TestVms.config().imageDir().resolve("image.json"))
                .contains("\"nativeAgent\": true");
        Result r = run(List.of("sh", "-c", "readlink /proc/$PPID/exe"), "");
        assertEquals(nativeAgent ? "/opt/podvisor/agent/native/podvisor-agent" : "/opt/podvisor/java/bin/java",
                r.stdout().strip());
    }

    @Test
    void aBridgeCanBeCreatedItsModuleLoadsOnDemand() throws Exception {
        // What critest's privileged specs do in a container: brctl addbr needs the bridge module, which the
        // kernel loads from the initramfs on first use.
        Result r = run(List.of("sh", "-c", "brctl addbr podvisor-br0 && ip link show podvisor-br0 && brctl delbr podvisor-br0"
                + " && grep -c '^bridge ' /proc/modules"), "");
        assertEquals(0, r.exit().getExitCode(), r.stderr());
        assertTrue(r.stdout().contains("podvisor-br0"), r.stdout());
        assertTrue(r.stdout().endsWith("1\n"), "the bridge module is loaded: " + r.stdout());
    }

    @Test
    void aKernelOopsEndsTheGuestInsteadOfWedgingIt() throws Exception {
        Result r = run(List.of("cat", "/proc/sys/kernel/panic_on_oops", "/proc/sys/kernel/panic"), "");
        assertEquals("1\n-1\n", r.stdout());
    }

    @Test
    void exitCodeAndStreamsComeBackSeparately() throws Exception {
        Result r = run(List.of("sh", "-c", "echo out; echo err >&2; exit 7"), "");
        assertEquals(7, r.exit.getExitCode());
        assertEquals("out\n", r.stdout);
        assertEquals("err\n", r.stderr);
    }

    @Test
    void stdinReachesTheProcessAndEofEndsIt() throws Exception {
        Result r = run(List.of("cat"), "hello from the host\n");
        assertEquals(0, r.exit.getExitCode());
        assertEquals("hello from the host\n", r.stdout);
    }

    @Test
    void outputWrittenJustBeforeExitIsNotLost() throws Exception {
        Result r = run(List.of("sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x; exit 3"), "");
        assertEquals(3, r.exit.getExitCode());
        assertEquals(3_000_000, r.stdout.length());
    }

    @Test
    void largeStdinArrivesIntact() throws Exception {
        byte[] input = new byte[8 << 20];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) ('a' + i % 26);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProcessExit exit = agent.run(start(List.of("wc", "-c")),
                new ByteArrayInputStream(input), out, new ByteArrayOutputStream());
        assertEquals(0, exit.getExitCode());
        assertEquals(String.valueOf(input.length), out.toString(StandardCharsets.UTF_8).strip());
    }

    @Test
    void severalProcessesRunAtOnce() throws Exception {
        List<CompletableFuture<Result>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int n = i;
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return run(List.of("sh", "-c", "sleep 1; echo " + n + "; exit " + n), "");
                } catch (AgentException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (int i = 0; i < runs.size(); i++) {
            Result r = runs.get(i).join();
            assertEquals(i, r.exit.getExitCode());
            assertEquals(i + "\n", r.stdout);
        }
    }

    @Test
    void signalledProcessReportsTheSignal() throws Exception {
        Result r = run(List.of("sh", "-c", "kill -TERM $$"), "");
        assertEquals(15, r.exit.getSignal());
        assertEquals(128 + 15, r.exit.getExitCode());
    }

    @Test
    void unknownCommandIsAClearError() {
        AgentException e = assertThrows(AgentException.class, () -> run(List.of("/no/such/binary"), ""));
        assertTrue(e.getMessage().contains("/no/such/binary"), e.getMessage());
        assertTrue(e.getMessage().contains("guest-vm-test"), e.getMessage());
    }

    @Test
    void connectingToAGuestPortNobodyListensOnSaysSo() {
        IOException e = assertThrows(IOException.class,
                () -> HybridVsock.connect(vm.vsockSocket(), 4242, Duration.ofSeconds(10)).close());
        assertTrue(e.getMessage().contains("4242"), e.getMessage());
    }

    private static ProcessStart start(List<String> args) {
        return ProcessStart.newBuilder().addAllArgs(args).setCwd("/").build();
    }

    private static Result run(List<String> args, String stdin) throws AgentException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        ProcessExit exit = agent.run(start(args), in, out, err);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Result(ProcessExit exit, String stdout, String stderr) {}
}
