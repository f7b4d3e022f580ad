package io.podvisor.it.critest;

import io.podvisor.it.containerd.Ctr;
import io.podvisor.it.containerd.OciImages;
import io.podvisor.it.containerd.OciImages.BusyboxImage;
import io.podvisor.it.cri.CriTestBed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The images critest runs its containers from, built locally under the names critest looks for (no registry
 * is reachable, and critest pulls only images that are missing): busybox images standing in for its busybox,
 * nginx, httpd, nonewprivs, hostnet-nginx and predefined-group images, each with a {@link LookupShell}, and
 * the sandbox (pause) image. The images critest's image service specs pull on purpose (and compare by digest)
 * are not among them.
 */
public final class CritestImages {
    private static final String E2E = "registry.k8s.io/e2e-test-images/";
    private static final String CRI_TOOLS = "gcr.io/k8s-staging-cri-tools/";
    public static final String BUSYBOX = E2E + "busybox:1.29-2";
    public static final String NGINX = E2E + "nginx:1.14-2";
    public static final String HTTPD = E2E + "httpd:2.4.39-4";
    public static final String NONEWPRIVS = E2E + "nonewprivs:1.3";
    public static final String HOSTNET_NGINX = CRI_TOOLS + "hostnet-nginx-amd64:latest";
    public static final String PREDEFINED_GROUP = CRI_TOOLS + "test-image-predefined-group:latest";

    private CritestImages() {
    }

    /**
     * Builds every stand-in under {@code workDir} with {@code shell} and imports it into {@code ctr}'s namespace.
     * The sandbox image replaces the test bed's, whose shell loop keeps a {@code sleep} running: critest's
     * containers share their pod's PID namespace (it gives no namespace options), and its execSync timeout spec
     * expects {@code pgrep sleep} to find none once the exec's sleep is killed.
     */
    public static List<String> importAll(Ctr ctr, Path workDir, LookupShell shell) throws IOException {
        Path index = Files.writeString(workDir.resolve("index.html"), "<html><body>podvisor critest</body></html>\n");
        Path nginx = compileStatic(workDir, "nginx-standin.c", "nginx");
        Path nnp = compileStatic(workDir, "nnp.c", "nnp");
        Path pause = compileStatic(workDir, "pause.c", "pause");
        run("chmod", "4755", nnp.toString());
        Path pgrep = script(workDir, "pgrep");
        Path ipcs = script(workDir, "ipcs");
        List<BusyboxImage> images = List.of(
                new BusyboxImage(BUSYBOX, List.of("sh"), "", List.of(), List.of(),
                        Map.of("/usr/bin/pgrep", pgrep, "/usr/bin/ipcs", ipcs)),
                new BusyboxImage(NGINX, List.of("/usr/sbin/nginx"), "", List.of(), List.of(),
                        Map.of("/usr/sbin/nginx", nginx, "/www/index.html", index)),
                new BusyboxImage(HTTPD, List.of("sh", "-c", "echo 'httpd: serving /www on port 80'; exec httpd -f -p 80 -h /www"),
                        "", List.of(), List.of(), Map.of("/www/index.html", index)),
                new BusyboxImage(HOSTNET_NGINX, List.of("sh", "-c", "exec httpd -f -p 12003 -h /www"),
                        "", List.of(), List.of(), Map.of("/www/index.html", index)),
                new BusyboxImage(NONEWPRIVS, List.of("/usr/local/bin/nnp"), "", List.of(), List.of(),
                        Map.of("/usr/local/bin/nnp", nnp)),
                new BusyboxImage(PREDEFINED_GROUP, List.of("sh"), "1000",
                        List.of("default-user:x:1000:1000::/home/default-user:/bin/sh"),
                        List.of("default-user:x:1000:", "group-defined-in-image:x:50000:default-user"), Map.of()),
                new BusyboxImage(CriTestBed.PAUSE_IMAGE, List.of("/pause"), "", List.of(), List.of(),
                        Map.of("/pause", pause)));
        for (BusyboxImage image : images) {
            OciImages.importBusybox(ctr, workDir, image.withBusybox(shell.busybox(), shell.libraries()));
        }
        return images.stream().map(BusyboxImage::reference).toList();
    }

    /** One of this package's shell script resources, executable. */
    private static Path script(Path workDir, String name) throws IOException {
        Path script = resource(workDir, name);
        run("chmod", "755", script.toString());
        return script;
    }

    private static Path resource(Path workDir, String name) throws IOException {
        Path file = workDir.resolve(name);
        try (InputStream in = CritestImages.class.getResourceAsStream("/critest/" + name)) {
            if (in == null) {
                throw new IOException("resource /critest/" + name + " is missing from the class path");
            }
            Files.copy(in, file);
        }
        return file;
    }

    /** Compiles one of this package's C resources into a static binary (gcc and libc6-dev). */
    private static Path compileStatic(Path workDir, String source, String binary) throws IOException {
        Path c = resource(workDir, source);
        Path out = workDir.resolve(binary);
        try {
            run("gcc", "-static", "-Os", "-o", out.toString(), c.toString());
        } catch (IOException e) {
            throw new IOException("building critest's stand-in images needs gcc and libc6-dev (apt-get install gcc libc6-dev): "
                    + e.getMessage(), e);
        }
        return out;
    }

    private static void run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
