package io.podvisor.it.critest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A busybox whose shell looks commands up in PATH and execs them (Debian's dynamically linked busybox
 * package), with the dynamic loader and libraries it needs. busybox-static's shell runs its applets without
 * exec: there {@code sh -c ls} lists the directory even when the container masks /bin/ls, where critest's
 * MaskedPaths spec expects "/bin/sh: ls: Permission denied".
 *
 * @param busybox the busybox binary on the host
 * @param libraries what it loads: path in the image (where ldd finds it on the host) → file on the host
 */
public record LookupShell(Path busybox, Map<String, Path> libraries) {
    public LookupShell {
        libraries = Map.copyOf(libraries);
    }

    /** {@code busybox}, once its shell is seen to look commands up, with the libraries ldd lists for it. */
    public static LookupShell of(Path busybox) throws IOException {
        if (!Files.isRegularFile(busybox) || !Files.isExecutable(busybox)) {
            throw new IOException("--shell " + busybox + " is not an executable busybox");
        }
        Output probe = run("env", "PATH=/nonexistent", busybox.toString(), "sh", "-c", "ls /");
        if (probe.exit() != 127) {
            throw new IOException("--shell " + busybox + " runs ls without looking it up in PATH (exit " + probe.exit()
                    + "), as busybox-static does: give Debian's dynamically linked busybox (apt-get download busybox)");
        }
        Output ldd = run("ldd", busybox.toString());
        if (ldd.exit() != 0) {
            throw new IOException("ldd " + busybox + " failed: " + ldd.text());
        }
        return new LookupShell(busybox, libraries(ldd.text()));
    }

    /**
     * The files in ldd's output: each library's resolved path and the dynamic loader's, each at the same
     * path in the image (the kernel's vDSO has no file).
     */
    static Map<String, Path> libraries(String lddOutput) throws IOException {
        Map<String, Path> libraries = new TreeMap<>();
        for (String line : lddOutput.split("\n")) {
            String entry = line.strip();
            int arrow = entry.indexOf("=>");
            String file = arrow >= 0 ? entry.substring(arrow + 2).strip() : entry;
            if (arrow >= 0 && file.startsWith("not found")) {
                throw new IOException("ldd finds no " + entry.substring(0, arrow).strip() + " on this host");
            }
            if (!file.startsWith("/")) {
                continue;
            }
            int address = file.indexOf(" (");
            String path = address >= 0 ? file.substring(0, address) : file;
            libraries.put(path, Path.of(path));
        }
        if (libraries.isEmpty()) {
            throw new IOException("ldd lists no library: " + lddOutput.strip());
        }
        return libraries;
    }

    private record Output(int exit, String text) {
    }

    private static Output run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish");
            }
            return new Output(process.exitValue(), text);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
