package io.podvisor.it.containerd;

import io.podvisor.it.HostProcesses;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shim binary (start, ttrpc Task API, events, stdio FIFOs, delete) against a real containerd,
 * with the test-only {@link HostSandbox} in place of the VM: what containerd sees of the shim.
 */
class ShimWithHostProcessesTest {
    private static final String RUNTIME = "io.containerd.podvisor.v2";
    private static final String IMAGE = "docker.io/podvisor/busybox:test";
    private static Path shimDir;
    private static ContainerdHarness containerd;
    private static Ctr ctr;

    @BeforeAll
    static void start() throws Exception {
        shimDir = HostShimMain.writeLauncher(Files.createTempDirectory("podvisor-shim-bin-"));
        containerd = ContainerdHarness.start(ContainerdHarness.Options.defaults().withPathFirst(shimDir));
        ctr = containerd.ctr("podvisor-it");
        OciImages.importBusybox(ctr, containerd.dir(), IMAGE, List.of("sh"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerd != null) {
            containerd.close();
        }
        Files.deleteIfExists(shimDir.resolve(io.podvisor.shim.ShimMain.NAME));
        Files.deleteIfExists(shimDir);
    }

    private static Ctr.Result run(String id, String... command) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--rm", "--runtime", RUNTIME, IMAGE, id));
        args.addAll(List.of(command));
        return ctr.run(args.toArray(String[]::new));
    }

    @Test
    void runPrintsTheOutputOfTheTask() {
        Ctr.Result result = run("host-echo", "echo", "hi");
        assertEquals(0, result.exitCode(), result + "\n" + containerd.logTail());
        assertEquals("hi\n", result.stdout());
        assertNoShimLeft("host-echo");
    }

    @Test
    void exitCodeAndLastOutputPropagate() {
        Ctr.Result result = run("host-exit", "sh", "-c", "echo out; echo err >&2; echo last; exit 3");
        assertEquals(3, result.exitCode(), result.toString());
        assertEquals("out\nlast\n", result.stdout());
        assertEquals("err\n", result.stderr());
    }

    @Test
    void stdinReachesTheTaskAndEndsWithTheClientsInput() {
        List<String> args = List.of("run", "--rm", "--runtime", RUNTIME, IMAGE, "host-cat", "cat");
        Ctr.Result result = ctr.run("hello through the fifo\n".getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(1),
                args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("hello through the fifo\n", result.stdout());
    }

    @Test
    void execPsKillAndRemoveLeaveNothingBehind() throws Exception {
        CtrEvents events = CtrEvents.open(containerd.address(), ctr);
        ctr.run("run", "-d", "--runtime", RUNTIME, IMAGE, "host-long", "sleep", "1000").orThrow();
        Ctr.Result exec = ctr.run("tasks", "exec", "--exec-id", "e1", "host-long", "sh", "-c", "echo from exec; exit 4");
        assertEquals(4, exec.exitCode(), exec.toString());
        assertEquals("from exec\n", exec.stdout());

        String ps = ctr.run("tasks", "ps", "host-long").orThrow().stdout();
        assertTrue(ps.lines().skip(1).anyMatch(line -> !line.isBlank()), "ctr task ps lists the task's pid: " + ps);

        Path socket = shimSocket("host-long").orElseThrow(() -> new AssertionError("no shim address for host-long"));
        assertTrue(Files.exists(socket));
        ctr.run("tasks", "kill", "--signal", "SIGTERM", "host-long").orThrow();
        String exit = events.await(line -> line.contains("/tasks/exit") && line.contains("\"container_id\":\"host-long\"")
                && line.contains("\"id\":\"host-long\""), Duration.ofSeconds(30));
        assertTrue(exit.contains("\"exit_status\":143"), exit);
        ctr.run("tasks", "delete", "host-long").orThrow();
        events.await(line -> line.contains("/tasks/delete") && line.contains("host-long"), Duration.ofSeconds(30));
        ctr.run("containers", "delete", "host-long").orThrow();
        events.await(line -> line.contains("/containers/delete") && line.contains("host-long"), Duration.ofSeconds(30));
        List<String> topics = events.lines().stream().filter(line -> line.contains("host-long"))
                .map(line -> line.split(" ")[5]).toList();
        assertEquals(List.of("/containers/create", "/tasks/create", "/tasks/start", "/tasks/exec-added",
                "/tasks/exec-started", "/tasks/exit", "/tasks/exit", "/tasks/delete", "/containers/delete"),
                topics.stream().filter(t -> t.startsWith("/tasks") || t.startsWith("/containers")).toList(),
                String.join("\n", events.lines()));
        events.close();
        assertFalse(Files.exists(socket), "shim socket " + socket + " removed after the task was deleted");
        assertNoShimLeft("host-long");
    }

    @Test
    void killedShimIsCleanedByDelete() throws Exception {
        ctr.run("run", "-d", "--runtime", RUNTIME, IMAGE, "host-orphan", "sleep", "1000").orThrow();
        ProcessHandle shim = shimProcess("host-orphan").orElseThrow(() -> new AssertionError("no shim for host-orphan"));
        Path socket = shimSocket("host-orphan").orElseThrow();
        Path rootfs = bundle("host-orphan").resolve("rootfs");
        shim.destroyForcibly();
        shim.onExit().get(30, TimeUnit.SECONDS);
        Ctr.Result rm = ctr.run("tasks", "delete", "--force", "host-orphan");
        ctr.run("containers", "delete", "host-orphan").orThrow();
        assertFalse(Files.exists(socket), "socket of the killed shim removed by delete: " + rm);
        assertFalse(HostSandbox.HostCommands.isMountPoint(rootfs), "rootfs unmounted by delete");
        ProcessHandle.allProcesses().filter(p -> HostProcesses.cmdline(p).equals("sleep 1000")).forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void unknownTaskIsReportedByName() {
        Ctr.Result result = ctr.run("tasks", "kill", "no-such-task");
        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains("no-such-task"), result.toString());
    }

    private Path bundle(String id) {
        return containerd.dir().resolve("state/io.containerd.runtime.v2.task").resolve(ctr.namespace()).resolve(id);
    }

    private Optional<Path> shimSocket(String id) throws IOException {
        Path address = bundle(id).resolve("address");
        if (!Files.exists(address)) {
            return Optional.empty();
        }
        return Optional.of(Path.of(Files.readString(address).strip().replaceFirst("^unix://", "")));
    }

    private static Optional<ProcessHandle> shimProcess(String id) {
        return ProcessHandle.allProcesses()
                .filter(p -> {
                    String cmdline = HostProcesses.cmdline(p);
                    return cmdline.contains(HostShimMain.class.getName()) && cmdline.contains(" -id " + id + " ")
                            && !cmdline.endsWith(" start") && !cmdline.endsWith(" delete");
                })
                .findFirst();
    }


    private static void assertNoShimLeft(String id) {
        Optional<ProcessHandle> shim = shimProcess(id);
        if (shim.isPresent()) {
            try {
                shim.get().onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("shim of " + id + " still running: pid " + shim.get().pid(), e);
            }
        }
    }
}
