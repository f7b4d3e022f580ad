package io.podvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.ConfigureNetworkRequest;
import io.podvisor.proto.agent.v1.GetGuestInfoRequest;
import io.podvisor.proto.agent.v1.GuestInfo;
import io.podvisor.proto.agent.v1.MountRequest;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.proto.agent.v1.ShutdownRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real agent service over a unix socket, running real processes on this machine. */
class AgentOverUnixSocketTest {

    @TempDir
    static Path dir;

    private static UnixSocketAgent agent;
    private static AgentGrpc.AgentStub stub;
    private static AgentGrpc.AgentBlockingStub blocking;

    @BeforeAll
    static void startAgent() throws Exception {
        agent = UnixSocketAgent.start(dir.resolve("agent.sock"));
        stub = agent.stub();
        blocking = agent.blocking();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    @Test
    void guestInfoDescribesThisMachine() throws Exception {
        GuestInfo info = blocking.getGuestInfo(GetGuestInfoRequest.newBuilder().setHostVersion("0.1.0").build());

        assertEquals(Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim(), info.getKernelRelease());
        assertTrue(info.getMemoryTotalBytes() > 64L << 20, "MemTotal " + info.getMemoryTotalBytes());
        assertTrue(info.getMemoryAvailableBytes() > 0 && info.getMemoryAvailableBytes() <= info.getMemoryTotalBytes());
        assertTrue(info.getUptimeSeconds() > 0);
        assertEquals(Runtime.getRuntime().availableProcessors(), info.getCpus());
        assertTrue(info.getAgentRssBytes() > 1L << 20, "RSS " + info.getAgentRssBytes());
        assertEquals("dev", info.getAgentVersion(), "test classes carry no manifest version");
    }

    @Test
    void processOutputAndExitCodeArriveSeparately() throws Exception {
        ProcessCall call = ProcessCall.start(stub, "sh", "-c", "echo out; echo err >&2; exit 7");
        call.input().onCompleted();
        call.awaitEnd();

        assertNull(call.error());
        assertTrue(call.awaitStarted() > 0);
        assertEquals("out\n", call.stdout());
        assertEquals("err\n", call.stderr());
        assertEquals(7, call.exit().getExitCode());
        assertEquals(0, call.exit().getSignal());
        assertEquals(ProcessOutput.OutputCase.STARTED, call.order.getFirst());
        assertEquals(ProcessOutput.OutputCase.EXIT, call.order.getLast());
    }

    @Test
    void stdinReachesCat() throws Exception {
        ProcessCall call = ProcessCall.start(stub, "cat");
        call.awaitStarted();
        call.stdin("hello ");
        call.stdin("guest\n");
        call.send(ProcessInput.newBuilder().setStdinEof(true).build());
        call.awaitEnd();

        assertEquals("hello guest\n", call.stdout());
        assertEquals(0, call.exit().getExitCode());
    }

    @Test
    void missingCommandIsNotFoundAndNamesIt() throws Exception {
        ProcessCall call = ProcessCall.start(stub, "no-such-command-podvisor").awaitEnd();

        StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, call.error());
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("no-such-command-podvisor"), e.getMessage());
    }

    @Test
    void missingWorkingDirectoryIsInvalidArgument() throws Exception {
        ProcessCall call = ProcessCall.start(stub, ProcessStart.newBuilder().addArgs("true")
                .setCwd(dir.resolve("absent").toString()).build()).awaitEnd();

        StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, call.error());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    @Test
    void outputWrittenJustBeforeExitIsNotLost() throws Exception {
        // 2 MB through the pipe and gRPC flow control, the last line written right before exit.
        ProcessCall call = ProcessCall.start(stub, "sh", "-c",
                "head -c 2000000 /dev/zero | tr '\\0' x; echo; echo last line; echo bye >&2; exit 3").awaitEnd();

        String out = call.stdout();
        assertEquals(2_000_000 + "\nlast line\n".length(), out.length());
        assertTrue(out.endsWith("x\nlast line\n"));
        assertEquals("bye\n", call.stderr());
        assertEquals(3, call.exit().getExitCode());
    }

    @Test
    void signalEndsProcessAndIsReported() throws Exception {
        ProcessCall call = ProcessCall.start(stub, "sleep", "30");
        call.awaitStarted();
        call.send(ProcessInput.newBuilder().setSignal(15).build());
        call.awaitEnd();

        assertEquals(15, call.exit().getSignal());
        assertEquals(128 + 15, call.exit().getExitCode());
    }

    @Test
    void environmentAndWorkingDirectoryAreThoseRequested() throws Exception {
        ProcessCall call = ProcessCall.start(stub, ProcessStart.newBuilder()
                .addArgs("sh").addArgs("-c").addArgs("echo \"$GREETING\"; pwd; echo \"$PATH\"")
                .addEnv("GREETING=hi").setCwd(dir.toString()).build()).awaitEnd();

        assertEquals("hi\n" + dir.toRealPath() + "\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
                call.stdout());
    }

    @Test
    void terminalProcessHasAControllingTtyOfTheRequestedSize() throws Exception {
        ProcessCall call = ProcessCall.start(stub, ProcessStart.newBuilder()
                .addArgs("sh").addArgs("-c").addArgs("tty; stty size; exit 5")
                .setTerminal(true).setRows(33).setColumns(101).build()).awaitEnd();

        assertNull(call.error());
        assertTrue(call.stdout().startsWith("/dev/pts/"), call.stdout());
        assertTrue(call.stdout().contains("33 101"), call.stdout());
        assertEquals(5, call.exit().getExitCode());
    }

    @Test
    void terminalInputAndResizeReachTheProcess() throws Exception {
        ProcessCall call = ProcessCall.start(stub, ProcessStart.newBuilder()
                .addArgs("sh").addArgs("-c").addArgs("read line; stty size; echo \"got $line\"")
                .setTerminal(true).setRows(24).setColumns(80).build());
        call.awaitStarted();
        call.send(ProcessInput.newBuilder().setResize(
                io.podvisor.proto.agent.v1.TerminalSize.newBuilder().setRows(50).setColumns(132)).build());
        call.stdin("typed\n");
        call.awaitEnd();

        assertTrue(call.stdout().contains("50 132"), call.stdout());
        assertTrue(call.stdout().contains("got typed"), call.stdout());
        assertEquals(0, call.exit().getExitCode());
    }

    @Test
    void mountFailuresSayWhatFailed() {
        StatusRuntimeException relative = assertThrows(StatusRuntimeException.class, () -> blocking.mount(
                MountRequest.newBuilder().setSource("pod").setTarget("run/share").setFstype("virtiofs").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, relative.getStatus().getCode());

        StatusRuntimeException unknownType = assertThrows(StatusRuntimeException.class, () -> blocking.mount(
                MountRequest.newBuilder().setSource("pod").setTarget(dir.resolve("share").toString())
                        .setFstype("no-such-fs").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, unknownType.getStatus().getCode());
        assertTrue(unknownType.getMessage().contains("no-such-fs"), unknownType.getMessage());
    }

    @Test
    void networkConfigurationForAnAbsentNicIsNotFound() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking.configureNetwork(
                ConfigureNetworkRequest.newBuilder().setMac("02:00:00:0f:0f:0f").setAddress("10.88.0.5/16").build()));

        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getMessage().contains("02:00:00:0f:0f:0f"), e.getMessage());
    }

    @Test
    void shutdownOutsideTheGuestStopsTheAgent() throws Exception {
        Path socket = dir.resolve("second.sock");
        try (UnixSocketAgent second = UnixSocketAgent.start(socket)) {
            second.blocking().shutdown(ShutdownRequest.getDefaultInstance());
            assertTrue(second.agent().awaitTermination(10, TimeUnit.SECONDS), "agent still running after Shutdown");
        }
        assertFalse(Files.exists(socket) && channelWorks(socket), "the stopped agent still answers");
    }

    private static boolean channelWorks(Path socket) {
        ManagedChannel probe = agent.connect(socket);
        try {
            AgentGrpc.newBlockingStub(probe).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .getGuestInfo(GetGuestInfoRequest.getDefaultInstance());
            return true;
        } catch (StatusRuntimeException e) {
            return false;
        } finally {
            probe.shutdownNow();
        }
    }
}
