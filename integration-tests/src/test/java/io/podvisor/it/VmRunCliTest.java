package io.podvisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code install/podvisor vm run} as a user runs it. */
@Timeout(300)
class VmRunCliTest {
    private static final Path VM_RUN_DIRS = TestVms.config().runDir().resolve("vm");

    @Test
    void printsTheGuestKernelReleaseNotTheHosts() throws Exception {
        PodvisorCommand.Result r = PodvisorCommand.run(Map.of(), "vm", "run", "--", "uname", "-r");
        assertEquals(0, r.exitCode(), r.stderr());
        String hostRelease = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertTrue(r.stdout().strip().endsWith("-cloud-amd64"), r.stdout());
        assertNotEquals(hostRelease, r.stdout().strip());
    }

    @Test
    void exitsWithTheCommandsExitCodeAndLeavesNothingBehind() throws Exception {
        PodvisorCommand.Result r = PodvisorCommand.run(Map.of(), "vm", "run", "--", "sh", "-c", "exit 7");
        assertEquals(7, r.exitCode(), r.stderr());
        assertNoVmLeftBy(-1);
    }

    @Test
    void interruptedCliLeavesNoVm() throws Exception {
        assertCliKilledLeavesNoVm("INT");
    }

    @Test
    void killedCliLeavesNoVm() throws Exception {
        assertCliKilledLeavesNoVm("KILL");
    }

    private static void assertCliKilledLeavesNoVm(String signal) throws Exception {
        Path err = Files.createTempFile("podvisor-err", ".txt");
        Process cli = PodvisorCommand.start(Map.of(), null, err, "vm", "run", "--", "sh", "-c", "echo started; sleep 600");
        try (BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream()))) {
            assertEquals("started", out.readLine(), () -> "the guest command never started: " + read(err));
        }
        new ProcessBuilder("kill", "-" + signal, String.valueOf(cli.pid())).start().waitFor();
        assertTrue(cli.waitFor(60, TimeUnit.SECONDS), "CLI did not exit after SIG" + signal);
        assertNoVmLeftBy(cli.pid());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** No process mentions a run directory of the given CLI process (or of any, for -1). */
    private static void assertNoVmLeftBy(long pid) throws Exception {
        String marker = VM_RUN_DIRS + "/" + (pid > 0 ? pid + "-" : "");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<ProcessHandle> left = HostProcesses.mentioning(marker);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            left.getFirst().onExit().get(30, TimeUnit.SECONDS);
            left = HostProcesses.mentioning(marker);
        }
        assertTrue(left.isEmpty(), "processes left behind: " + left.stream()
                .map(p -> p.pid() + " " + HostProcesses.cmdline(p)).toList());
        if (pid > 0) {
            // A killed CLI cannot clean its files; the next command sweeps them.
            PodvisorCommand.run(Map.of(), "vm", "run", "--", "true");
            try (var dirs = Files.list(VM_RUN_DIRS)) {
                assertFalse(dirs.anyMatch(d -> d.getFileName().toString().startsWith(pid + "-")),
                        "run directory of CLI " + pid + " left behind");
            }
        }
    }

}
