package io.podvisor.it;

import java.nio.file.Path;

/**
 * The source checkout the tests, the benchmark and the demo run from: {@code -Dpodvisor.repo} (set
 * by surefire), else {@code $PODVISOR_REPO} (set by install/podvisor), else the parent directory.
 */
public final class Checkout {
    private Checkout() {}

    public static Path dir() {
        String repo = System.getProperty("podvisor.repo", System.getenv().getOrDefault("PODVISOR_REPO", ".."));
        return Path.of(repo).toAbsolutePath().normalize();
    }

    /** install/: the shim and CLI launchers a private containerd finds on its PATH. */
    public static Path install() {
        return dir().resolve("install");
    }

    /**
     * Where the shim binary the tests run lives: {@code -Dpodvisor.shimDir} (an installed prefix's bin/, or the
     * native shim's directory: install/native-shim.sh), else {@link #install()}.
     */
    public static Path shimDir() {
        return Path.of(System.getProperty("podvisor.shimDir", install().toString())).toAbsolutePath().normalize();
    }
}
