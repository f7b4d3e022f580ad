package io.podvisor.it.install;

import io.podvisor.it.Checkout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A node's files under a temporary root, with install/install.sh and uninstall.sh run against it. */
final class NodeRoot {
    static final String CONTAINERD_CONFIG = "/etc/containerd/config.toml";
    static final String DROP_IN = "/etc/containerd/conf.d/podvisor.toml";
    static final String PREFIX = "/usr/local";
    static final String IMAGE_HASH = "0123abcd";

    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        Result requireSuccess() {
            if (exitCode != 0) {
                throw new AssertionError(String.join(" ", command) + " exited with " + exitCode + ":\n" + stderr);
            }
            return this;
        }
    }

    private final Path root;
    private final Path image;
    private final Path nativeShim;

    /**
     * An empty root, a guest image (small stand-in files, as rootfs-builder names them) and a native shim (a
     * stand-in script that echoes its arguments, with the library install/native-shim.sh keeps beside it) in
     * {@code dir}.
     */
    NodeRoot(Path dir) throws IOException {
        root = Files.createDirectory(dir.resolve("root"));
        image = Files.createDirectories(dir.resolve("images").resolve(IMAGE_HASH));
        Files.writeString(image.resolve("image.json"),
                "{\n  \"agentVersion\": \"0.1.0\",\n  \"inputsHash\": \"" + IMAGE_HASH + "\"\n}\n");
        for (String file : List.of("vmlinux", "initramfs.cpio", "runtime.erofs")) {
            Files.writeString(image.resolve(file), file + " of image " + IMAGE_HASH + "\n");
        }
        nativeShim = Files.createDirectories(dir.resolve("native-shim"));
        Path shim = nativeShim.resolve("containerd-shim-podvisor-v2");
        Files.writeString(shim, "#!/bin/sh\necho native shim \"$@\"\n");
        Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(nativeShim.resolve("libjvm.so"), "stub\n");
    }

    static Path repo() {
        return Checkout.dir();
    }

    Path root() {
        return root;
    }

    Path image() {
        return image;
    }

    /** Where a node path such as /etc/podvisor/config.toml is under this root. */
    Path path(String nodePath) {
        return root.resolve(nodePath.substring(1));
    }

    void write(String nodePath, String content) throws IOException {
        Files.createDirectories(path(nodePath).getParent());
        Files.writeString(path(nodePath), content);
    }

    /**
     * install.sh under this root, with the stand-in native shim unless {@code more} names a shim of its own
     * ({@code --jvm-shim}, {@code --native-shim-from}): install.sh would otherwise build the real one for minutes.
     */
    Result install(String... more) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--root", root.toString(), "--prefix", PREFIX,
                "--image-dir", image.toString()));
        if (!List.of(more).contains("--jvm-shim") && !List.of(more).contains("--native-shim-from")) {
            args.addAll(List.of("--native-shim-from", nativeShim.toString()));
        }
        args.addAll(List.of(more));
        return run(repo().resolve("install/install.sh"), args);
    }

    Result uninstall(String... more) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--root", root.toString()));
        args.addAll(List.of(more));
        return run(repo().resolve("install/uninstall.sh"), args);
    }

    /** Runs a program of the node (a node path under this root). */
    Result runInstalled(String nodePath, String... args) throws IOException, InterruptedException {
        return run(path(nodePath), List.of(args));
    }

    static Result run(Path program, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(program.toString());
        command.addAll(args);
        Path out = Files.createTempFile("podvisor-install-out", ".txt");
        Path err = Files.createTempFile("podvisor-install-err", ".txt");
        try {
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in 120 s:\n" + Files.readString(err));
            }
            return new Result(command, p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Every path under the root with what it is: "dir", "-> target" for a link, or the sha-256 of a file's
     * bytes and its permissions. Equal snapshots mean an identical tree.
     */
    Map<String, String> snapshot() throws IOException {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                String name = "/" + root.relativize(p);
                if (Files.isSymbolicLink(p)) {
                    entries.put(name, "-> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    entries.put(name, "dir");
                } else {
                    entries.put(name, sha256(Files.readAllBytes(p)) + " "
                            + PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                }
            }
        }
        return entries;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String read(String nodePath) {
        try {
            return Files.readString(path(nodePath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
