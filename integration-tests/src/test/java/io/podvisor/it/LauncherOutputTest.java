package io.podvisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The launcher behind the shim and the CLI keeps the JVM's own messages off stdout: the shim's
 * {@code start} answers containerd there with its address, which a stray JVM line would corrupt.
 */
class LauncherOutputTest {
    @Test
    void jvmErrorsGoToStderrAndStdoutKeepsOnlyTheCommandsOutput() throws Exception {
        // An unusable AOT cache makes the JVM log errors and carry on without it.
        PodvisorCommand.Result check = PodvisorCommand.run(Map.of("PODVISOR_JVM_OPTS", "-XX:AOTCache=/nonexistent/podvisor.aot"),
                "check");
        assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
        assertTrue(check.stderr().contains("[error][aot]"), "the JVM's message: " + check.stderr());
        assertTrue(check.stdout().startsWith("podvisor "), "stdout: " + check.stdout());
        assertTrue(!check.stdout().contains("[error]") && !check.stdout().contains("[warning]"), check.stdout());
    }
}
