package io.podvisor.it.containerd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Builds OCI image layouts locally (one busybox layer, busybox-static unless an image says otherwise; no
 * registry) and imports them into containerd with {@code ctr images import}.
 */
public final class OciImages {
    public static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

    private OciImages() {
    }

    /** A digest and size of one blob. */
    private record Blob(String digest, long size) {
    }

    /**
     * One busybox image: its {@code reference} (e.g. docker.io/podvisor/busybox:test), default command,
     * image user (empty for root), lines added to /etc/passwd and /etc/group, files copied in with their
     * mode bits (path in the image → file on the host), and the busybox binary whose applets it has.
     */
    public record BusyboxImage(String reference, List<String> cmd, String user, List<String> passwd,
            List<String> group, Map<String, Path> files, Path busybox) {
        public BusyboxImage {
            cmd = List.copyOf(cmd);
            passwd = List.copyOf(passwd);
            group = List.copyOf(group);
            files = Map.copyOf(files);
        }

        /** With busybox-static ({@link #BUSYBOX}). */
        public BusyboxImage(String reference, List<String> cmd, String user, List<String> passwd,
                List<String> group, Map<String, Path> files) {
            this(reference, cmd, user, passwd, group, files, BUSYBOX);
        }

        public BusyboxImage(String reference, List<String> cmd) {
            this(reference, cmd, "", List.of(), List.of(), Map.of());
        }

        /** This image with another busybox binary and the files it needs (such as its shared libraries). */
        public BusyboxImage withBusybox(Path binary, Map<String, Path> itsFiles) {
            Map<String, Path> all = new HashMap<>(files);
            all.putAll(itsFiles);
            return new BusyboxImage(reference, cmd, user, passwd, group, all, binary);
        }
    }

    /**
     * Writes {@code workDir/<name>.tar}: an OCI layout whose image {@code reference} (e.g.
     * docker.io/podvisor/busybox:test) has a busybox-static root filesystem with every applet linked
     * in /bin and {@code cmd} as its default command.
     */
    public static Path busyboxLayout(Path workDir, String reference, List<String> cmd) throws IOException {
        return busyboxLayout(workDir, new BusyboxImage(reference, cmd));
    }

    /** Writes {@code workDir/<name>.tar}: the OCI layout of {@code image}. */
    public static Path busyboxLayout(Path workDir, BusyboxImage image) throws IOException {
        String reference = image.reference();
        Path busybox = image.busybox();
        if (!Files.isExecutable(busybox)) {
            throw new IOException(busybox + " is missing" + (busybox.equals(BUSYBOX) ? ": apt-get install busybox-static" : ""));
        }
        Path build = Files.createTempDirectory(workDir, "image-");
        Path rootfs = Files.createDirectories(build.resolve("rootfs"));
        for (String dir : List.of("bin", "dev", "etc", "proc", "sys", "tmp", "root", "run", "var")) {
            Files.createDirectories(rootfs.resolve(dir));
        }
        Files.copy(busybox, rootfs.resolve("bin/busybox"));
        for (String applet : run(busybox.toString(), "--list").split("\n")) {
            if (!applet.isBlank() && !applet.equals("busybox")) {
                // Hard links, as busybox images have: masking one applet's path (an OCI maskedPaths entry)
                // then masks that path only, not busybox itself.
                Files.createLink(rootfs.resolve("bin").resolve(applet.strip()), rootfs.resolve("bin/busybox"));
            }
        }
        Files.writeString(rootfs.resolve("etc/passwd"), lines(List.of("root:x:0:0:root:/root:/bin/sh",
                "nobody:x:65534:65534:nobody:/:/bin/false"), image.passwd()));
        Files.writeString(rootfs.resolve("etc/group"), lines(List.of("root:x:0:", "nogroup:x:65534:"), image.group()));
        for (Map.Entry<String, Path> file : image.files().entrySet()) {
            Path target = rootfs.resolve(file.getKey().replaceFirst("^/+", ""));
            Files.createDirectories(target.getParent());
            Files.copy(file.getValue(), target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }

        Path layout = Files.createDirectories(build.resolve("layout"));
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Path layerTar = build.resolve("layer.tar");
        run("tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0",
                "-cf", layerTar.toString(), "-C", rootfs.toString(), ".");
        Blob layer = store(blobs, Files.readAllBytes(layerTar));

        ObjectNode config = JSON.createObjectNode();
        config.put("architecture", "amd64").put("os", "linux");
        ObjectNode runConfig = config.putObject("config");
        runConfig.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        image.cmd().forEach(runConfig.putArray("Cmd")::add);
        runConfig.put("WorkingDir", "/");
        if (!image.user().isEmpty()) {
            runConfig.put("User", image.user());
        }
        ObjectNode rootfsNode = config.putObject("rootfs").put("type", "layers");
        rootfsNode.putArray("diff_ids").add(layer.digest());
        Blob configBlob = store(blobs, JSON.writeValueAsBytes(config));

        ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", MANIFEST_TYPE);
        manifest.set("config", descriptor("application/vnd.oci.image.config.v1+json", configBlob));
        manifest.putArray("layers").add(descriptor("application/vnd.oci.image.layer.v1.tar", layer));
        Blob manifestBlob = store(blobs, JSON.writeValueAsBytes(manifest));

        ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2);
        ObjectNode entry = descriptor(MANIFEST_TYPE, manifestBlob);
        entry.putObject("platform").put("architecture", "amd64").put("os", "linux");
        entry.set("annotations", JSON.valueToTree(Map.of(
                "io.containerd.image.name", reference,
                "org.opencontainers.image.ref.name", reference.substring(reference.lastIndexOf(':') + 1))));
        index.putArray("manifests").add(entry);
        Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(index));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");

        Path tarball = workDir.resolve(reference.replaceAll("[^A-Za-z0-9._-]", "_") + ".tar");
        run("tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0",
                "-cf", tarball.toString(), "-C", layout.toString(), ".");
        run("rm", "-rf", build.toString());
        return tarball;
    }

    /** Builds a busybox image and imports it (unpacked for the default snapshotter) with {@code ctr}. */
    public static String importBusybox(Ctr ctr, Path workDir, String reference, List<String> cmd) throws IOException {
        Path tarball = busyboxLayout(workDir, reference, cmd);
        ctr.run("images", "import", "--platform", "linux/amd64", tarball.toString()).orThrow();
        return reference;
    }

    /** Builds {@code image} and imports it (unpacked for the default snapshotter) with {@code ctr}. */
    public static String importBusybox(Ctr ctr, Path workDir, BusyboxImage image) throws IOException {
        Path tarball = busyboxLayout(workDir, image);
        ctr.run("images", "import", "--platform", "linux/amd64", tarball.toString()).orThrow();
        return image.reference();
    }

    private static String lines(List<String> first, List<String> more) {
        StringBuilder text = new StringBuilder();
        first.forEach(line -> text.append(line).append('\n'));
        more.forEach(line -> text.append(line).append('\n'));
        return text.toString();
    }

    private static ObjectNode descriptor(String mediaType, Blob blob) {
        return JSON.createObjectNode().put("mediaType", mediaType).put("digest", blob.digest()).put("size", blob.size());
    }

    private static Blob store(Path blobs, byte[] content) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String hex = HexFormat.of().formatHex(sha256.digest(content));
        Files.write(blobs.resolve(hex), content);
        return new Blob("sha256:" + hex, content.length);
    }

    private static String run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        return output;
    }
}
