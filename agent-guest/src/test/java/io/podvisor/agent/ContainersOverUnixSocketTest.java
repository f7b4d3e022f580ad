package io.podvisor.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.ContainerStatsRequest;
import io.podvisor.proto.agent.v1.ContainerStatsResponse;
import io.podvisor.proto.agent.v1.CreateContainerRequest;
import io.podvisor.proto.agent.v1.ListProcessesRequest;
import io.podvisor.proto.agent.v1.PauseContainerRequest;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.proto.agent.v1.RemoveContainerRequest;
import io.podvisor.proto.agent.v1.ResumeContainerRequest;
import io.podvisor.proto.agent.v1.SignalProcessRequest;
import io.podvisor.proto.agent.v1.TerminalSize;
import io.podvisor.proto.agent.v1.UpdateContainerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The real agent over a unix socket running containers with this host's crun and a busybox root filesystem. */
class ContainersOverUnixSocketTest {

    @TempDir
    static Path dir;

    private static HostContainers.Runtime runtime;
    private static Path rootfs;
    private static Path runDir;
    private static UnixSocketAgent agent;
    private static AgentGrpc.AgentStub stub;
    private static AgentGrpc.AgentBlockingStub blocking;

    @BeforeAll
    static void startAgent() throws Exception {
        runtime = HostContainers.runtime(dir);
        rootfs = HostContainers.busyboxRootfs(dir);
        runDir = dir.resolve("run");
        agent = UnixSocketAgent.start(dir.resolve("agent.sock"), "--run-dir", runDir.toString(),
                "--cgroup-root", runtime.cgroupRoot().toString(), "--crun", runtime.crun());
        stub = agent.stub();
        blocking = agent.blocking().withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.close();
    }

    @Test
    void initPrintsAndExitsWithItsCode() throws Exception {
        String id = create(HostContainers.spec("sh", "-c", "echo out; echo err >&2; exit 3"));
        ProcessCall init = runInit(id).awaitEnd();

        assertNull(init.error());
        assertTrue(init.awaitStarted() > 0);
        assertEquals("out\n", init.stdout());
        assertEquals("err\n", init.stderr());
        assertEquals(3, init.exit().getExitCode());
        assertEquals(ProcessOutput.OutputCase.STARTED, init.order.getFirst());
        assertEquals(ProcessOutput.OutputCase.EXIT, init.order.getLast());
        remove(id);
    }

    @Test
    void stdinReachesCatInTheContainer() throws Exception {
        String id = create(HostContainers.spec("cat"));
        ProcessCall init = runInit(id);
        init.awaitStarted();
        init.stdin("hello ");
        init.stdin("container\n");
        init.send(ProcessInput.newBuilder().setStdinEof(true).build());
        init.awaitEnd();

        assertEquals("hello container\n", init.stdout());
        assertEquals(0, init.exit().getExitCode());
        remove(id);
    }

    @Test
    void userWorkingDirectoryAndEnvironmentAreThoseOfTheSpec() throws Exception {
        ObjectNode spec = HostContainers.spec("sh", "-c", "id -u; id -g; pwd; echo \"$GREETING\"; touch mine");
        ObjectNode process = (ObjectNode) spec.get("process");
        process.putObject("user").put("uid", 1000).put("gid", 1000);
        process.put("cwd", "/work");
        process.withArray("env").add("GREETING=hi");
        spec.withObject("root").put("readonly", false);
        String id = create(spec);
        ProcessCall init = runInit(id).awaitEnd();

        assertEquals("1000\n1000\n/work\nhi\n", init.stdout(), init.stderr());
        assertEquals(0, init.exit().getExitCode());
        assertEquals(1000, Files.getAttribute(rootfs.resolve("work/mine"), "unix:uid"));
        Files.delete(rootfs.resolve("work/mine"));
        remove(id);
    }

    @Test
    void execRunsInTheRunningContainer() throws Exception {
        String id = create(HostContainers.spec("sleep", "30"));
        ProcessCall init = runInit(id);
        int initPid = init.awaitStarted();

        ProcessCall exec = runExec(id, "e1", HostContainers.process("sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; exit 4"))
                .awaitEnd();

        assertNull(exec.error());
        int execPid = exec.awaitStarted();
        assertTrue(execPid > 0 && execPid != initPid, "exec pid " + execPid + ", init pid " + initPid);
        assertEquals("sleep 30 ", exec.stdout());
        assertEquals(4, exec.exit().getExitCode());
        remove(id);
        assertEquals(137, init.awaitEnd().exit().getExitCode(), "removal kills the init");
    }

    @Test
    void signalTermEndsAnExecSleep() throws Exception {
        String id = create(HostContainers.spec("sleep", "30"));
        runInit(id).awaitStarted();
        ProcessCall exec = runExec(id, "sleeper", HostContainers.process("sleep", "30"));
        exec.awaitStarted();

        blocking.signalProcess(SignalProcessRequest.newBuilder().setContainerId(id).setExecId("sleeper").setSignal(15)
                .build());

        assertEquals(128 + 15, exec.awaitEnd().exit().getExitCode());
        remove(id);
    }

    @Test
    void signalToTheInitAndToAllItsProcesses() throws Exception {
        String id = create(HostContainers.spec("sh", "-c", "trap 'echo term; exit 42' TERM; sleep 30 & wait"));
        ProcessCall init = runInit(id);
        init.awaitStarted();
        blocking.signalProcess(SignalProcessRequest.newBuilder().setContainerId(id).setSignal(15).build());
        assertEquals(42, init.awaitEnd().exit().getExitCode(), init.stderr());
        assertEquals("term\n", init.stdout());
        remove(id);

        String second = create(HostContainers.spec("sh", "-c", "sleep 30 & sleep 31"));
        ProcessCall killed = runInit(second);
        killed.awaitStarted();
        blocking.signalProcess(SignalProcessRequest.newBuilder().setContainerId(second).setSignal(9).setAll(true)
                .build());
        assertEquals(128 + 9, killed.awaitEnd().exit().getExitCode());
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> blocking.signalProcess(
                SignalProcessRequest.newBuilder().setContainerId(second).setSignal(9).build()));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        remove(second);
    }

    @Test
    void listProcessesNamesTheInitAndExecProcesses() throws Exception {
        String id = create(HostContainers.spec("sleep", "30"));
        int initPid = runInit(id).awaitStarted();
        int execPid = runExec(id, "e1", HostContainers.process("sleep", "30")).awaitStarted();

        List<Integer> pids = blocking.listProcesses(ListProcessesRequest.newBuilder().setContainerId(id).build())
                .getPidsList();

        assertTrue(pids.contains(initPid) && pids.contains(execPid), pids + " lacks " + initPid + " or " + execPid);
        remove(id);
    }

    @Test
    void statsReadTheContainersCgroup() throws Exception {
        String id = create(HostContainers.spec("sleep", "30"));
        runInit(id).awaitStarted();
        runExec(id, "busy", HostContainers.process("sh", "-c", "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done"))
                .awaitEnd();

        ContainerStatsResponse stats = blocking.containerStats(ContainerStatsRequest.newBuilder().setContainerId(id)
                .build());

        assertTrue(stats.getCpuUsageUsec() > 0 && stats.getCpuUserUsec() > 0, stats.toString());
        assertTrue(stats.getTimestampUnixNanos() > 0);
        Path cgroup = runtime.cgroupRoot().resolve("podvisor").resolve(id);
        if (Files.exists(cgroup.resolve("memory.current"))) {
            assertTrue(stats.getMemoryCurrentBytes() > 0, stats.toString());
            assertTrue(stats.getPidsCurrent() >= 1, stats.toString());
        }
        remove(id);
    }

    @Test
    void pauseFreezesAndResumeThawsTheContainer() throws Exception {
        String id = create(HostContainers.spec("sleep", "30"));
        runInit(id).awaitStarted();
        Path events = runtime.cgroupRoot().resolve("podvisor").resolve(id).resolve("cgroup.events");

        blocking.pauseContainer(PauseContainerRequest.newBuilder().setContainerId(id).build());
        assertTrue(Files.readString(events).contains("frozen 1"), Files.readString(events));
        ProcessCall refused = runExec(id, "while-paused", HostContainers.process("true")).awaitEnd();
        assertEquals(Status.Code.FAILED_PRECONDITION, code(refused.error()));

        blocking.resumeContainer(ResumeContainerRequest.newBuilder().setContainerId(id).build());
        assertTrue(Files.readString(events).contains("frozen 0"), Files.readString(events));
        remove(id);
    }

    @Test
    void updateChangesTheCgroupLimits() throws Exception {
        String id = create(HostContainers.spec("sleep", "30"));
        runInit(id).awaitStarted();
        Path cgroup = runtime.cgroupRoot().resolve("podvisor").resolve(id);
        // Whichever limit this host's cgroup2 hierarchy offers: pids in a guest, hugetlb on a hybrid host.
        boolean pids = Files.exists(cgroup.resolve("pids.max"));
        String resources = pids ? "{\"pids\":{\"limit\":42}}"
                : "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}]}";

        blocking.updateContainer(UpdateContainerRequest.newBuilder().setContainerId(id)
                .setResourcesJson(ByteString.copyFromUtf8(resources)).build());

        assertEquals(pids ? "42" : "4194304",
                Files.readString(cgroup.resolve(pids ? "pids.max" : "hugetlb.2MB.max")).strip());
        StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> blocking.updateContainer(
                UpdateContainerRequest.newBuilder().setContainerId(id).setResourcesJson(ByteString.copyFromUtf8("[1]"))
                        .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        remove(id);
    }

    @Test
    void removeLeavesNoCgroupBundleOrCrunState() throws Exception {
        String id = create(HostContainers.spec("sh", "-c", "sleep 30 & sleep 31"));
        ProcessCall init = runInit(id);
        init.awaitStarted();
        Path cgroup = runtime.cgroupRoot().resolve("podvisor").resolve(id);
        assertTrue(Files.isDirectory(cgroup));

        remove(id);

        assertEquals(137, init.awaitEnd().exit().getExitCode());
        assertFalse(Files.exists(cgroup), cgroup + " is left");
        assertFalse(Files.exists(runDir.resolve("bundles").resolve(id)), "bundle is left");
        assertFalse(Files.exists(runDir.resolve("crun").resolve(id)), "crun state is left");
        assertNotFound(id, () -> remove(id));
    }

    @Test
    void unknownContainerIsNotFoundEverywhere() throws Exception {
        String id = "absent-" + ThreadLocalRandom.current().nextInt(1_000_000);
        assertNotFound(id, () -> blocking.signalProcess(SignalProcessRequest.newBuilder().setContainerId(id)
                .setSignal(9).build()));
        assertNotFound(id, () -> blocking.listProcesses(ListProcessesRequest.newBuilder().setContainerId(id).build()));
        assertNotFound(id, () -> blocking.containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build()));
        assertNotFound(id, () -> blocking.pauseContainer(PauseContainerRequest.newBuilder().setContainerId(id).build()));
        assertNotFound(id, () -> blocking.updateContainer(UpdateContainerRequest.newBuilder().setContainerId(id)
                .setResourcesJson(ByteString.copyFromUtf8("{}")).build()));
        assertNotFound(id, () -> remove(id));
        ProcessCall init = runInit(id).awaitEnd();
        assertEquals(Status.Code.NOT_FOUND, code(init.error()));
        assertTrue(init.error().getMessage().contains(id), init.error().getMessage());
        ProcessCall exec = runExec(id, "x", HostContainers.process("true")).awaitEnd();
        assertEquals(Status.Code.NOT_FOUND, code(exec.error()));
    }

    @Test
    void malformedSpecIsInvalidArgumentNamingContainerAndField() throws Exception {
        String id = newId();
        ObjectNode noArgs = HostContainers.spec("true");
        ((ObjectNode) noArgs.get("process")).remove("args");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking.createContainer(
                CreateContainerRequest.newBuilder().setContainerId(id).setRootfsPath(rootfs.toString())
                        .setOciSpecJson(ByteString.copyFromUtf8(noArgs.toString())).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getMessage().contains(id) && e.getMessage().contains("process.args"), e.getMessage());

        StatusRuntimeException notJson = assertThrows(StatusRuntimeException.class, () -> blocking.createContainer(
                CreateContainerRequest.newBuilder().setContainerId(id).setRootfsPath(rootfs.toString())
                        .setOciSpecJson(ByteString.copyFromUtf8("{\"process\":")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, notJson.getStatus().getCode());
        assertNotFound(id, () -> remove(id));
    }

    @Test
    void podContainersShareTheSandboxsIpcAndUtsNamespaces() throws Exception {
        String namespaces = "for t in ipc uts; do l=$(ls -l /proc/self/ns/$t); echo ${l##*-> }; done;"
                + " cat /proc/sys/kernel/hostname";
        String sandbox = create(HostContainers.spec("sleep", "30"));
        runInit(sandbox).awaitStarted();
        String id = create(podContainerSpec(sandbox, "sh", "-c", namespaces));

        ProcessCall container = runInit(id).awaitEnd();
        ProcessCall inSandbox = runExec(sandbox, "ns", HostContainers.process("sh", "-c", namespaces)).awaitEnd();

        assertEquals(0, container.exit().getExitCode(), container.stderr());
        assertEquals(inSandbox.stdout(), container.stdout());
        assertTrue(container.stdout().endsWith("podvisor-test\n"), container.stdout());
        assertFalse(container.stdout().contains(Files.readSymbolicLink(Path.of("/proc/self/ns/ipc")).toString()),
                "the sandbox has an IPC namespace of its own, not the agent's");
        remove(id);
        remove(sandbox);
    }

    @Test
    void podContainerWithoutItsSandboxIsFailedPrecondition() {
        String id = newId();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking.createContainer(
                CreateContainerRequest.newBuilder().setContainerId(id).setRootfsPath(rootfs.toString())
                        .setOciSpecJson(ByteString.copyFromUtf8(podContainerSpec("pvt-gone", "true").toString())).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getMessage().contains(id) && e.getMessage().contains("pvt-gone"), e.getMessage());
    }

    /** A container spec as the CRI writes it for a pod: IPC and UTS namespaces by the sandbox's path. */
    private static ObjectNode podContainerSpec(String sandboxId, String... args) {
        ObjectNode spec = HostContainers.spec(args);
        spec.putObject("annotations").put("io.kubernetes.cri.sandbox-id", sandboxId);
        spec.withObject("linux").withArray("namespaces").forEach(ns -> {
            if (ns.path("type").asText().matches("ipc|uts")) {
                ((ObjectNode) ns).put("path", "/proc/4242/ns/" + ns.path("type").asText());
            }
        });
        return spec;
    }

    @Test
    void sameIdTwiceIsAlreadyExists() throws Exception {
        String id = create(HostContainers.spec("true"));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking.createContainer(
                CreateContainerRequest.newBuilder().setContainerId(id).setRootfsPath(rootfs.toString())
                        .setOciSpecJson(ByteString.copyFromUtf8(HostContainers.spec("true").toString())).build()));
        assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
        remove(id);
    }

    @Test
    void execIdInUseIsAlreadyExists() throws Exception {
        String id = create(HostContainers.spec("sleep", "30"));
        runInit(id).awaitStarted();
        runExec(id, "twice", HostContainers.process("sleep", "30")).awaitStarted();

        ProcessCall again = runExec(id, "twice", HostContainers.process("true")).awaitEnd();

        assertEquals(Status.Code.ALREADY_EXISTS, code(again.error()));
        remove(id);
    }

    @Test
    void crunFailureIsReportedWithWhatCrunSaid() throws Exception {
        String id = newId();
        blocking.createContainer(CreateContainerRequest.newBuilder().setContainerId(id)
                .setRootfsPath(dir.resolve("no-such-rootfs").toString())
                .setOciSpecJson(ByteString.copyFromUtf8(HostContainers.spec("true").toString())).build());

        ProcessCall init = runInit(id).awaitEnd();

        assertEquals(Status.Code.FAILED_PRECONDITION, code(init.error()));
        assertTrue(init.error().getMessage().contains(id) && init.error().getMessage().contains("no-such-rootfs"),
                init.error().getMessage());
        remove(id);
    }

    @Test
    void terminalInitHasATtyOfTheRequestedSize() throws Exception {
        String id = create(HostContainers.spec("sh", "-c", "tty; stty size; read line; echo \"got $line\"; exit 6"));
        ProcessCall init = runInit(id, start -> start.setTerminal(true).setRows(33).setColumns(101));
        init.awaitStarted();
        init.stdin("typed\n");
        init.awaitEnd();

        assertNull(init.error());
        assertTrue(init.stdout().contains("/dev/pts/0"), init.stdout());
        assertTrue(init.stdout().contains("33 101"), init.stdout());
        assertTrue(init.stdout().contains("got typed"), init.stdout());
        assertEquals(6, init.exit().getExitCode());
        remove(id);
    }

    @Test
    void terminalExecHasItsSizeFromTheStart() throws Exception {
        String id = sleepingContainer();
        ProcessCall exec = runTerminalExec(id, "size", HostContainers.process("stty", "size"), 30, 90).awaitEnd();

        assertEquals("30 90\r\n", exec.stdout());
        assertEquals(0, exec.exit().getExitCode());
        remove(id);
    }

    @Test
    void terminalExecHasTheSizeOfItsProcessSpecFromTheStart() throws Exception {
        String id = sleepingContainer();
        ObjectNode process = HostContainers.process("stty", "size");
        process.putObject("consoleSize").put("height", 27).put("width", 77);
        ProcessCall exec = runTerminalExec(id, "spec", process, 0, 0).awaitEnd();

        assertEquals("27 77\r\n", exec.stdout());
        assertEquals(0, exec.exit().getExitCode());
        remove(id);
    }

    @Test
    void terminalExecHasItsSizeOnceStarted() throws Exception {
        String id = sleepingContainer();
        ProcessCall exec = runTerminalExec(id, "size", HostContainers.process("sh", "-c", "read line; stty size"), 30, 90);
        exec.awaitStarted();
        exec.stdin("\n");
        exec.awaitEnd();

        assertTrue(exec.stdout().endsWith("\r\n30 90\r\n"), exec.stdout());
        assertEquals(0, exec.exit().getExitCode());
        remove(id);
    }

    @Test
    void terminalExecTakesResizes() throws Exception {
        String id = sleepingContainer();
        ProcessCall exec = runTerminalExec(id, "tty", HostContainers.process("sh", "-c", "read line; stty size; tty"),
                24, 80);
        exec.awaitStarted();
        exec.send(ProcessInput.newBuilder().setResize(TerminalSize.newBuilder().setRows(50).setColumns(132)).build());
        exec.stdin("go\n");
        exec.awaitEnd();

        assertTrue(exec.stdout().contains("50 132"), exec.stdout());
        assertTrue(exec.stdout().contains("/dev/pts/"), exec.stdout());
        assertEquals(0, exec.exit().getExitCode());
        remove(id);
    }

    @Test
    void terminalExecOfAnotherUserFindsItsCommandOnThePath() throws Exception {
        String id = sleepingContainer();
        ObjectNode process = HostContainers.process("sh", "-c", "id -u; pwd; stty size; echo \"$GREETING\"");
        process.putObject("user").put("uid", 1000).put("gid", 1000);
        process.put("cwd", "/work");
        process.withArray("env").add("GREETING=hi");
        ProcessCall exec = runTerminalExec(id, "user", process, 41, 120).awaitEnd();

        assertNull(exec.error());
        assertEquals("1000\r\n/work\r\n41 120\r\nhi\r\n", exec.stdout());
        assertEquals(0, exec.exit().getExitCode());
        remove(id);
    }

    @Test
    void terminalExecKeepsNoDescriptorBeyondItsTerminal() throws Exception {
        String id = sleepingContainer();
        ProcessCall exec = runTerminalExec(id, "fds", HostContainers.process("sh", "-c",
                "for fd in 3 4 5; do [ -e /proc/$$/fd/$fd ] && echo \"fd $fd is open\"; done; echo checked"), 30, 90)
                .awaitEnd();

        assertEquals("checked\r\n", exec.stdout());
        assertEquals(0, exec.exit().getExitCode());
        remove(id);
    }

    @Test
    void terminalExecOfAMissingCommandEndsWith127NamingIt() throws Exception {
        String id = sleepingContainer();
        ProcessCall exec = runTerminalExec(id, "missing", HostContainers.process("no-such-command"), 30, 90).awaitEnd();

        assertNull(exec.error());
        assertEquals("exec no-such-command: no such file or directory\r\n", exec.stdout());
        assertEquals(127, exec.exit().getExitCode());
        remove(id);
    }

    private static String newId() {
        return "pvt-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
    }

    private static String create(ObjectNode spec) {
        String id = newId();
        blocking.createContainer(CreateContainerRequest.newBuilder().setContainerId(id)
                .setRootfsPath(rootfs.toString()).setOciSpecJson(ByteString.copyFromUtf8(spec.toString())).build());
        return id;
    }

    private static void remove(String id) {
        blocking.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    }

    private static ProcessCall runInit(String id) {
        return runInit(id, start -> { });
    }

    private static ProcessCall runInit(String id, Consumer<ProcessStart.Builder> customize) {
        ProcessStart.Builder start = ProcessStart.newBuilder().setContainerId(id);
        customize.accept(start);
        ProcessCall call = ProcessCall.start(stub, start.build());
        return call;
    }

    /** A container whose init sleeps, for execs to run in. */
    private static String sleepingContainer() throws InterruptedException {
        String id = create(HostContainers.spec("sleep", "30"));
        runInit(id).awaitStarted();
        return id;
    }

    /** An exec with a terminal of {@code rows} x {@code columns} (0 x 0: no size in the request). */
    private static ProcessCall runTerminalExec(String id, String execId, ObjectNode process, int rows, int columns) {
        return ProcessCall.start(stub, ProcessStart.newBuilder().setContainerId(id).setExecId(execId)
                .setProcessJson(ByteString.copyFromUtf8(process.toString()))
                .setTerminal(true).setRows(rows).setColumns(columns).build());
    }

    private static ProcessCall runExec(String id, String execId, ObjectNode process) {
        return ProcessCall.start(stub, ProcessStart.newBuilder().setContainerId(id).setExecId(execId)
                .setProcessJson(ByteString.copyFromUtf8(process.toString())).build());
    }

    private static Status.Code code(Throwable error) {
        return assertInstanceOf(StatusRuntimeException.class, error, "expected a gRPC error").getStatus().getCode();
    }

    private static void assertNotFound(String id, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getMessage().contains(id), e.getMessage());
    }
}
