package io.podvisor.it.containerd;

import io.podvisor.shim.SandboxProvider;
import io.podvisor.shim.ShimContext;
import io.podvisor.shim.ShimMain;
import io.podvisor.shim.task.Sandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** TEST ONLY: the shim binary with the {@link HostSandbox} backend, for end-to-end tests of the shim itself. */
public final class HostShimMain {
    private HostShimMain() {
    }

    public static void main(String[] args) {
        System.exit(ShimMain.run(args, () -> new SandboxProvider() {
            @Override
            public Sandbox open(ShimContext context) {
                return new HostSandbox();
            }

            @Override
            public int cleanupAfterDeadShim(ShimContext context) {
                HostSandbox.unmountRootfs(context.bundle());
                return 0;
            }
        }));
    }

    /**
     * Writes {@code dir/containerd-shim-podvisor-v2}, a launcher running this class on the test's
     * class path with the shim's JVM flags; returns {@code dir}.
     */
    static Path writeLauncher(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path launcher = dir.resolve(ShimMain.NAME);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss256k",
                "-XX:+UseCompactObjectHeaders", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), HostShimMain.class.getName());
        StringBuilder script = new StringBuilder("#!/bin/sh\nexec");
        command.forEach(part -> script.append(" '").append(part.replace("'", "'\\''")).append('\''));
        script.append(" \"$@\"\n");
        Files.writeString(launcher, script);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }
}
