package io.podvisor.it.ctr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.podvisor.it.Checkout;
import io.podvisor.it.HostProcesses;
import io.podvisor.it.containerd.ContainerdHarness;
import io.podvisor.it.containerd.ContainerdRelease;
import io.podvisor.it.containerd.Ctr;
import io.podvisor.it.containerd.OciImages;
import io.podvisor.it.cri.PodLeftovers;
import io.podvisor.shim.ttrpc.TtrpcClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code ctr run --runtime io.containerd.podvisor.v2} against a real containerd: the installed
 * shim launcher, a real pod VM per task, crun in the guest.
 */
@Timeout(600)
@ParameterizedClass
@EnumSource(ContainerdRelease.class)
class PodvisorCtrIT {
    private static final String RUNTIME = "io.containerd.podvisor.v2";
    private static final String IMAGE = "docker.io/podvisor/busybox:it";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ContainerdHarness containerd;
    private static Ctr ctr;

    @Parameter
    ContainerdRelease release;

    @BeforeParameterizedClassInvocation
    static void start(ContainerdRelease release) throws Exception {
        Path shimDir = Checkout.install();
        containerd = ContainerdHarness.start(ContainerdHarness.Options.defaults().withRelease(release)
                .withPathFirst(shimDir));
        ctr = containerd.ctr("podvisor-ctr-it");
        OciImages.importBusybox(ctr, containerd.dir(), IMAGE, List.of("sh"));
    }

    /** A failed test must not leave its pod to the next one. */
    @AfterEach
    void removeEverything() {
        for (String line : ctr.run("containers", "list", "-q").stdout().lines().toList()) {
            ctr.run("tasks", "kill", "--signal", "SIGKILL", line);
            ctr.run("tasks", "delete", "--force", line);
            ctr.run("containers", "delete", line);
        }
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (containerd != null) {
            containerd.close();
            containerd = null;
        }
    }

    private static Ctr.Result run(String id, String... command) {
        List<String> args = new ArrayList<>(List.of("run", "--rm", "--runtime", RUNTIME, IMAGE, id));
        args.addAll(List.of(command));
        return ctr.run(args.toArray(String[]::new));
    }

    @Test
    void taskRunsOnTheGuestKernelAndItsExitCodeAndLastOutputComeBack() throws Exception {
        Ctr.Result result = run("pv-uname", "sh", "-c", "uname -r; echo err >&2; echo last; exit 3");
        assertEquals(3, result.exitCode(), result + "\n" + containerd.logTail());
        String hostRelease = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        List<String> lines = result.stdout().lines().toList();
        assertEquals(2, lines.size(), result.toString());
        assertTrue(lines.get(0).endsWith("-cloud-amd64"), result.toString());
        assertNotEquals(hostRelease, lines.get(0));
        assertEquals("last", lines.get(1));
        assertEquals("err\n", result.stderr());
        PodLeftovers.assertNoPodAnywhere();
    }

    @Test
    void stdinIsEchoed() throws Exception {
        List<String> args = List.of("run", "--rm", "--runtime", RUNTIME, IMAGE, "pv-cat", "cat");
        Ctr.Result result = ctr.run("hi through the VM\n".getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(3),
                args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result + "\n" + containerd.logTail());
        assertEquals("hi through the VM\n", result.stdout());
        PodLeftovers.assertNoPodAnywhere();
    }

    @Test
    void terminalModeGivesTheTaskATty() throws Exception {
        // ctr -t needs a terminal of its own: script(1) provides one.
        String ctrCommand = String.join(" ", ctr.binary().toString(), "--address", containerd.address().toString(), "--namespace",
                ctr.namespace(), "run", "--rm", "-t", "--runtime", RUNTIME, IMAGE, "pv-tty", "sh", "-c",
                "'tty; stty size'");
        Process script = new ProcessBuilder("script", "-qec", ctrCommand, "/dev/null")
                .redirectInput(ProcessBuilder.Redirect.PIPE).redirectErrorStream(true).start();
        assertTrue(script.waitFor(3, TimeUnit.MINUTES), "ctr run -t did not finish");
        String out = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, script.exitValue(), out);
        assertTrue(out.contains("/dev/pts/"), "the task's stdin is a terminal: " + out);
        PodLeftovers.assertNoPodAnywhere();
    }

    /**
     * A terminal exec reads its size with its first instruction: the process's consoleSize, or the size a resize
     * before the start asked for; a resize while it runs reaches it too. Driven through the shim's Task API as
     * containerd drives it, since through ctr the first size cannot be checked: ctr tasks exec -t resizes the
     * terminal to ctr's own size right after the start returns (containerd's cmd/ctr: Start, then
     * HandleConsoleResize), and that resize may land before the process reads its size.
     */
    @Test
    void terminalExecHasItsSizeFromTheStart() throws Exception {
        Path rootfs = containerd.dir().resolve("sized-rootfs");
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(OciImages.BUSYBOX, bin.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
        for (String applet : List.of("sh", "sleep", "stty")) {
            Files.deleteIfExists(bin.resolve(applet));
            Files.createLink(bin.resolve(applet), bin.resolve("busybox"));
        }
        for (String empty : List.of("proc", "dev", "sys", "tmp")) {
            Files.createDirectories(rootfs.resolve(empty));
        }
        ObjectNode spec = (ObjectNode) JSON.readTree(ctr.run("oci", "spec").orThrow().stdout());
        spec.putObject("root").put("path", rootfs.toString());
        ObjectNode process = (ObjectNode) spec.get("process");
        process.putArray("args").add("sleep").add("600");
        process.putArray("env").add("PATH=/bin");
        Path config = Files.writeString(containerd.dir().resolve("sized-spec.json"), spec.toString());
        ctr.run("run", "-d", "--config", config.toString(), "--runtime", RUNTIME, "pv-sized").orThrow();

        String service = release == ContainerdRelease.V1_7 ? "containerd.task.v2.Task" : "containerd.task.v3.Task";
        Path fifos = containerd.dir().resolve("exec-fifos");
        try (TtrpcClient shim = TtrpcClient.forSocket(shimSocket("pv-sized"))) {
            ObjectNode sizedProcess = execProcess(process, "sh", "-c", "stty size; read line; stty size");
            sizedProcess.putObject("consoleSize").put("height", 31).put("width", 97);
            try (ShimTerminalExec sized = ShimTerminalExec.create(shim, service, "pv-sized", "sized", sizedProcess, fifos)) {
                sized.start();
                assertEquals(Optional.of("31 97"), sized.nextSize(Duration.ofSeconds(60)),
                        "stty size first thing in an exec whose process has a consoleSize of 31x97:\n" + sized.shown()
                                + "\n" + containerd.logTail());
                sized.resize(132, 43);
                sized.type("resized\n");
                assertEquals(Optional.of("43 132"), sized.nextSize(Duration.ofSeconds(60)),
                        "stty size after a resize to 132x43 while the exec runs:\n" + sized.shown());
                assertEquals(0, sized.awaitExit(), sized.shown());
            }
            try (ShimTerminalExec early = ShimTerminalExec.create(shim, service, "pv-sized", "early",
                    execProcess(process, "stty", "size"), fifos)) {
                early.resize(120, 40);
                early.start();
                assertEquals(Optional.of("40 120"), early.nextSize(Duration.ofSeconds(60)),
                        "stty size as the first instruction of an exec resized to 120x40 before its start:\n"
                                + early.shown() + "\n" + containerd.logTail());
                assertEquals(0, early.awaitExit(), early.shown());
            }
        }

        ctr.run("tasks", "kill", "--signal", "SIGKILL", "pv-sized").orThrow();
        assertTrue(ctr.awaitTask("pv-sized", "STOPPED"), "task stopped after KILL: " + ctr.run("tasks", "list"));
        ctr.run("tasks", "delete", "pv-sized").orThrow();
        ctr.run("containers", "delete", "pv-sized").orThrow();
        PodLeftovers.assertNoPodAnywhere();
    }

    /** The container's process object with a terminal and other args, as ctr tasks exec -t makes an exec's. */
    private static ObjectNode execProcess(ObjectNode containerProcess, String... args) {
        ObjectNode process = containerProcess.deepCopy();
        process.put("terminal", true);
        ArrayNode argv = process.putArray("args");
        for (String arg : args) {
            argv.add(arg);
        }
        return process;
    }

    /** The shim's ttrpc socket, from the address file containerd keeps in the task's bundle. */
    private Path shimSocket(String id) throws IOException {
        Path address = containerd.dir().resolve("state/io.containerd.runtime.v2.task").resolve(ctr.namespace())
                .resolve(id).resolve("address");
        return Path.of(Files.readString(address).strip().replaceFirst("^unix://", ""));
    }

    @Test
    void execPsKillAndRemoveLeaveNothingBehind() throws Exception {
        ctr.run("run", "-d", "--runtime", RUNTIME, IMAGE, "pv-long", "sh", "-c",
                "trap 'exit 143' TERM; while :; do sleep 1; done").orThrow();
        Ctr.Result exec = ctr.run("tasks", "exec", "--exec-id", "e1", "pv-long", "sh", "-c",
                "echo exec sees pid 1: $(cat /proc/1/comm); exit 4");
        assertEquals(4, exec.exitCode(), exec + "\n" + containerd.logTail());
        assertEquals("exec sees pid 1: sh\n", exec.stdout());
        Ctr.Result reused = ctr.run("tasks", "exec", "--exec-id", "e1", "pv-long", "true");
        assertEquals(0, reused.exitCode(), "an exec id may be reused once its process was deleted: " + reused);

        String ps = ctr.run("tasks", "ps", "pv-long").orThrow().stdout();
        assertTrue(ps.lines().skip(1).anyMatch(line -> line.strip().matches("\\d+.*")), "ctr task ps: " + ps);

        ctr.run("tasks", "kill", "--signal", "SIGTERM", "pv-long").orThrow();
        assertTrue(ctr.awaitTask("pv-long", "STOPPED"), "task stopped after TERM: " + ctr.run("tasks", "list"));
        ctr.run("tasks", "delete", "pv-long").orThrow();
        ctr.run("containers", "delete", "pv-long").orThrow();
        PodLeftovers.assertNoPodAnywhere();
    }

    @Test
    void taskIgnoringTermEndsWithKill() throws Exception {
        ctr.run("run", "-d", "--runtime", RUNTIME, IMAGE, "pv-stubborn", "sh", "-c",
                "trap '' TERM; echo ready; while :; do sleep 1; done").orThrow();
        ctr.run("tasks", "kill", "--signal", "SIGTERM", "pv-stubborn").orThrow();
        ctr.run("tasks", "kill", "--signal", "SIGKILL", "pv-stubborn").orThrow();
        assertTrue(ctr.awaitTask("pv-stubborn", "STOPPED"), "task stopped after KILL: " + ctr.run("tasks", "list"));
        ctr.run("tasks", "delete", "pv-stubborn").orThrow();
        ctr.run("containers", "delete", "pv-stubborn").orThrow();
        PodLeftovers.assertNoPodAnywhere();
    }

    @Test
    void killedShimIsCleanedUpByDelete() throws Exception {
        ctr.run("run", "-d", "--runtime", RUNTIME, IMAGE, "pv-orphan", "sleep", "1000").orThrow();
        ProcessHandle shim = ProcessHandle.allProcesses()
                .filter(p -> HostProcesses.cmdline(p).contains("io.podvisor.shim.ShimMain") && HostProcesses.cmdline(p).contains(" -id pv-orphan ")
                        && !HostProcesses.cmdline(p).endsWith(" start"))
                .findFirst().orElseThrow(() -> new AssertionError("no shim for pv-orphan"));
        shim.destroyForcibly();
        shim.onExit().get(30, TimeUnit.SECONDS);
        ctr.run("tasks", "delete", "--force", "pv-orphan");
        ctr.run("containers", "delete", "pv-orphan").orThrow();
        PodLeftovers.assertNoPodAnywhere();
    }

    @Test
    void unknownTaskIsNamedInTheError() {
        Ctr.Result result = ctr.run("tasks", "kill", "no-such-task");
        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains("no-such-task"), result.toString());
    }

    /** The path a CRI sandbox spec hands over, gone or not a namespace: refused before any VM starts. */
    @Test
    void aPodWhoseNetworkNamespaceIsMissingIsRefusedAndLeavesNothing() throws Exception {
        Path absent = containerd.dir().resolve("netns-absent");
        Ctr.Result missing = ctr.run("run", "--rm", "--runtime", RUNTIME, "--with-ns", "network:" + absent, IMAGE, "pv-no-netns", "true");
        assertNotEquals(0, missing.exitCode(), missing.toString());
        assertTrue(missing.stderr().contains("its network namespace " + absent + " does not exist"), missing.toString());
        PodLeftovers.assertNoPodAnywhere();

        Path plainFile = Files.writeString(containerd.dir().resolve("netns-plain-file"), "");
        Ctr.Result notNetns = ctr.run("run", "--rm", "--runtime", RUNTIME, "--with-ns", "network:" + plainFile, IMAGE, "pv-file-netns", "true");
        assertNotEquals(0, notNetns.exitCode(), notNetns.toString());
        assertTrue(notNetns.stderr().contains(plainFile + " is not a network namespace"), notNetns.toString());
        PodLeftovers.assertNoPodAnywhere();
    }

}
