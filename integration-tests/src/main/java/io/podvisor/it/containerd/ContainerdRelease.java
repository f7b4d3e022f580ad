package io.podvisor.it.containerd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which containerd a test runs: the system's 1.7 (Debian trixie's package, config version 2) or 2.1.9
 * (Debian sid's package unpacked privately by {@code install/containerd/install-containerd-2.sh}, config
 * version 3). Each knows its binaries and how its config names the CRI plugin's sections.
 */
public enum ContainerdRelease {
    V1_7("1.7", Optional.empty(), 2, "io.containerd.grpc.v1.cri", "io.containerd.grpc.v1.cri"),
    V2_1("2.1", Optional.of(Path.of(System.getProperty("podvisor.containerd2.bin",
            "/opt/podvisor-test/containerd-2.1.9/usr/bin"))), 3, "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images");

    private final String series;
    private final Optional<Path> binDir;
    private final int configVersion;
    private final String criRuntimePlugin;
    private final String criImagesPlugin;

    ContainerdRelease(String series, Optional<Path> binDir, int configVersion, String criRuntimePlugin,
            String criImagesPlugin) {
        this.series = series;
        this.binDir = binDir;
        this.configVersion = configVersion;
        this.criRuntimePlugin = criRuntimePlugin;
        this.criImagesPlugin = criImagesPlugin;
    }

    /** "1.7" or "2.1". */
    public String series() {
        return series;
    }

    /** The directory holding this release's containerd, ctr and runc shim; empty for the system's (on PATH). */
    public Optional<Path> binDir() {
        return binDir;
    }

    public String containerd() {
        return binDir.map(dir -> dir.resolve("containerd").toString()).orElse("containerd");
    }

    public String ctr() {
        return binDir.map(dir -> dir.resolve("ctr").toString()).orElse("ctr");
    }

    public int configVersion() {
        return configVersion;
    }

    /** The config section of the CRI runtime plugin: runtimes, CNI, restrict_oom_score_adj. */
    public String criRuntimeSection() {
        return "plugins.\"" + criRuntimePlugin + "\"";
    }

    /** The config section of the CRI runtime table ({@code <section>.<handler>} is one runtime). */
    public String runtimesSection() {
        return criRuntimeSection() + ".containerd.runtimes";
    }

    /** TOML for the CRI plugin: no oom_score_adj below containerd's own, CNI from /usr/lib/cni, the sandbox image. */
    String criConfig(Path cniConfDir, String sandboxImage) {
        String section = criRuntimeSection();
        if (configVersion == 2) {
            return "[" + section + "]\n"
                    + "  restrict_oom_score_adj = true\n"
                    + "  sandbox_image = \"" + sandboxImage + "\"\n"
                    + "  [" + section + ".cni]\n"
                    + "    bin_dir = \"/usr/lib/cni\"\n"
                    + "    conf_dir = \"" + cniConfDir + "\"\n";
        }
        return "[" + section + "]\n"
                + "  restrict_oom_score_adj = true\n"
                + "  [" + section + ".cni]\n"
                + "    bin_dirs = [\"/usr/lib/cni\"]\n"
                + "    conf_dir = \"" + cniConfDir + "\"\n"
                + "[plugins.\"" + criImagesPlugin + "\".pinned_images]\n"
                + "  sandbox = \"" + sandboxImage + "\"\n";
    }

    /** Fails with what to run when this release is not installed, or another version answers. */
    void requireInstalled() throws IOException {
        String out;
        try {
            Process version = new ProcessBuilder(containerd(), "--version").redirectErrorStream(true).start();
            out = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            version.waitFor();
        } catch (IOException e) {
            throw new IOException(missing() + " (" + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (!(out.contains(" " + series + ".") || out.contains(" v" + series + "."))) {
            throw new IOException(missing() + "; " + containerd() + " --version says: " + out);
        }
    }

    private String missing() {
        return switch (this) {
            case V1_7 -> "containerd 1.7 is not installed: run install/containerd/install-containerd.sh";
            case V2_1 -> "containerd 2.1 is not in " + binDir.orElseThrow()
                    + ": run install/containerd/install-containerd-2.sh";
        };
    }

    /** True when this release's binaries exist (for tests that report which releases they ran on). */
    public boolean present() {
        return binDir.map(dir -> Files.isExecutable(dir.resolve("containerd"))).orElse(true);
    }

    @Override
    public String toString() {
        return "containerd " + series;
    }
}
