package io.podvisor.it.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.it.Checkout;
import io.podvisor.it.HostProcesses;
import io.podvisor.it.containerd.ContainerdHarness;
import io.podvisor.it.containerd.Ctr;
import io.podvisor.it.containerd.OciImages;
import io.podvisor.it.cri.PodLeftovers;
import io.podvisor.shim.config.PodvisorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgrade on a node with a running pod: install.sh is run again (a new shim build) while a pod runs on the shim
 * it installed before. The pod keeps its shim process and its VM and is exec'd, stopped and removed as before; a
 * pod started afterwards runs the newly installed binary. The tests' shim (native image, or the JVM launcher) is
 * what install.sh installs, under a temporary root, with the real guest image.
 */
@Timeout(600)
class ShimUpgradeIT {
    private static final String RUNTIME = "io.containerd.podvisor.v2";
    private static final String IMAGE = "docker.io/podvisor/busybox:upgrade";

    @TempDir
    Path root;

    @Test
    void aPodRunningThroughAnUpgradeKeepsItsShimAndANewPodRunsTheNewBinary() throws Exception {
        install();
        Path config = Files.writeString(root.resolve("podvisor.toml"),
                "image_dir = \"" + root.resolve("var/lib/podvisor/images/current") + "\"\n");
        ContainerdHarness.Options options = ContainerdHarness.Options.defaults()
                .withPathFirst(root.resolve("usr/local/bin"))
                .withEnv("PODVISOR_CONFIG", config.toString());
        try (ContainerdHarness containerd = ContainerdHarness.start(options)) {
            Ctr ctr = containerd.ctr("podvisor-upgrade-it");
            OciImages.importBusybox(ctr, containerd.dir(), IMAGE, List.of("sh"));
            ctr.run("run", "-d", "--runtime", RUNTIME, IMAGE, "pv-before", "sleep", "1000").orThrow();
            ProcessHandle before = shimOf("pv-before");
            String bootId = ctr.run("tasks", "exec", "--exec-id", "boot1", "pv-before",
                    "cat", "/proc/sys/kernel/random/boot_id").orThrow().stdout();

            install();

            assertTrue(before.isAlive(), "the running pod's shim outlives the upgrade");
            assertEquals(bootId, ctr.run("tasks", "exec", "--exec-id", "boot2", "pv-before",
                    "cat", "/proc/sys/kernel/random/boot_id").orThrow().stdout(), "the same VM after the upgrade");
            ctr.run("run", "-d", "--runtime", RUNTIME, IMAGE, "pv-after", "sleep", "1000").orThrow();
            ProcessHandle after = shimOf("pv-after");
            assertTrue(executable(before).endsWith(" (deleted)"),
                    "the old pod runs the replaced binary: " + executable(before));
            assertFalse(executable(after).endsWith(" (deleted)"),
                    "the new pod runs the installed binary: " + executable(after));
            assertNotEquals(executable(before), executable(after));

            for (String task : List.of("pv-before", "pv-after")) {
                ctr.run("tasks", "kill", "--signal", "SIGKILL", task).orThrow();
                assertTrue(ctr.awaitTask(task, "STOPPED"), task + " stopped after KILL: " + ctr.run("tasks", "list"));
                ctr.run("tasks", "delete", task).orThrow();
                ctr.run("containers", "delete", task).orThrow();
            }
            PodLeftovers.assertNoPodAnywhere();
        }
    }

    /** install.sh under the root with the tests' shim: its native image, or the JVM launcher. */
    private void install() throws Exception {
        Path shimDir = Checkout.shimDir();
        List<String> args = new ArrayList<>(List.of("--root", root.toString(), "--prefix", "/usr/local",
                "--containerd-version", "1.7",
                "--image-dir", PodvisorConfig.load().imageDir().toRealPath().toString()));
        if (Files.exists(shimDir.resolve("libjvm.so"))) {
            args.addAll(List.of("--native-shim-from", shimDir.toString()));
        } else {
            args.add("--jvm-shim");
        }
        NodeRoot.Result result = NodeRoot.run(NodeRoot.repo().resolve("install/install.sh"), args);
        assertEquals(0, result.exitCode(), result.stderr());
    }

    /** The executable of the task's shim, or, for the JVM launcher, the shim jar it has open. */
    private static String executable(ProcessHandle shim) throws Exception {
        Path proc = Path.of("/proc", Long.toString(shim.pid()));
        String exe = Files.readSymbolicLink(proc.resolve("exe")).toString();
        if (!exe.endsWith("/java")) {
            return exe;
        }
        try (var fds = Files.list(proc.resolve("fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (java.io.IOException e) {
                    return "";
                }
            }).filter(target -> target.contains("/podvisor-shim-")).findFirst().orElse(exe);
        }
    }

    private static ProcessHandle shimOf(String task) {
        List<ProcessHandle> shims = HostProcesses.shimsMentioning(" -id " + task + " ");
        assertEquals(1, shims.size(), "one shim of " + task + ": " + shims);
        return shims.getFirst();
    }
}
