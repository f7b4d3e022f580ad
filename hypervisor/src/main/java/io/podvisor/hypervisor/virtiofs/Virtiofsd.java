package io.podvisor.hypervisor.virtiofs;

import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.VmmProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One virtiofsd serving a pod's shared directory to its VM on a vhost-user socket in the pod's
 * run directory. It dies with this JVM; {@link #close()} stops it and removes the socket.
 *
 * <p>virtiofsd runs as two processes: the one started here, which waits, and the server it
 * forks into its sandbox (new mount and pid namespaces) once the VMM connects. Closing ends the
 * server first so the waiting parent reaps it, then the parent.
 */
public final class Virtiofsd implements AutoCloseable {
    /** Where Debian installs it: the Rust package (trixie on) first, then QEMU's C version (bookworm). */
    public static final List<Path> DEFAULT_BINARIES =
            List.of(Path.of("/usr/libexec/virtiofsd"), Path.of("/usr/lib/qemu/virtiofsd"));

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.-]{1,36}");
    /** sun_path holds 108 bytes including the terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;
    private static final String PACKAGES = "install Debian's virtiofsd package (trixie and later) or"
            + " qemu-system-common (bookworm: /usr/lib/qemu/virtiofsd)";

    private final VmmProcess process;
    private final VmSpec.FsShare share;

    private Virtiofsd(VmmProcess process, VmSpec.FsShare share) {
        this.process = process;
        this.share = share;
    }

    /** The first of {@link #DEFAULT_BINARIES} that is installed. */
    public static Path findBinary() throws VmmException {
        for (Path candidate : DEFAULT_BINARIES) {
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new VmmException("no virtiofsd at " + DEFAULT_BINARIES + ": " + PACKAGES);
    }

    /**
     * Starts virtiofsd for pod {@code podId}, sharing {@code sharedDir} under {@code tag}, with its
     * socket {@code virtiofsd-<tag>.sock} and log {@code virtiofsd-<tag>.log} in {@code runDir}, and
     * returns once the socket is there.
     */
    public static Virtiofsd start(String podId, Path binary, Path sharedDir, Path runDir, String tag)
            throws VmmException {
        if (!TAG.matcher(tag).matches()) {
            throw new VmmException("pod " + podId + ": virtio-fs tag \"" + tag
                    + "\" must be 1-36 letters, digits, '.', '_' or '-'");
        }
        if (!Files.isExecutable(binary)) {
            throw new VmmException("pod " + podId + ": cannot start virtiofsd: " + binary + " is missing; " + PACKAGES);
        }
        if (!Files.isDirectory(sharedDir)) {
            throw new VmmException("pod " + podId + ": cannot share " + sharedDir
                    + " with the VM: it is not a directory (create the pod's shared directory first)");
        }
        if (!Files.isDirectory(runDir)) {
            throw new VmmException("pod " + podId + ": run directory " + runDir + " does not exist");
        }
        Path socket = runDir.toAbsolutePath().resolve("virtiofsd-" + tag + ".sock");
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new VmmException("pod " + podId + ": virtiofsd socket path " + socket + " is longer than "
                    + MAX_SOCKET_PATH + " bytes; use a shorter run directory");
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            throw new VmmException("pod " + podId + ": cannot remove the stale socket " + socket + ": " + e, e);
        }
        List<String> argv = VirtiofsdFlavor.of(binary).argv(binary, socket, sharedDir.toAbsolutePath());
        VmmProcess process = VmmProcess.start(podId, "virtiofsd", argv, null, runDir.resolve("virtiofsd-" + tag + ".log"));
        Virtiofsd virtiofsd = new Virtiofsd(process, new VmSpec.FsShare(tag, socket));
        try {
            process.awaitSocket(socket, START_TIMEOUT);
        } catch (VmmException e) {
            virtiofsd.close();
            throw e;
        }
        return virtiofsd;
    }

    /** The share to put in {@link VmSpec#shares()}. */
    public VmSpec.FsShare share() {
        return share;
    }

    public VmmProcess process() {
        return process;
    }

    /** virtiofsd and the server it forked into its sandbox (once the VMM has connected). */
    public List<ProcessHandle> processes() {
        return Stream.concat(Stream.of(process.handle()),
                process.handle().descendants()).toList();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Stops virtiofsd (SIGTERM, then SIGKILL) and removes its socket. Never throws. */
    @Override
    public void close() {
        List<ProcessHandle> servers = process.handle().descendants().toList();
        servers.forEach(ProcessHandle::destroy);
        if (!servers.isEmpty()) {
            process.awaitExit(STOP_TIMEOUT);
        }
        process.close();
        for (ProcessHandle server : servers) {
            awaitOrKill(server);
        }
        try {
            Files.deleteIfExists(share.vhostUserSocket());
        } catch (IOException ignored) {
            // The run directory is removed with the pod; a leftover socket there is harmless.
        }
    }

    private static void awaitOrKill(ProcessHandle server) {
        try {
            server.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            server.destroyForcibly();
        } catch (InterruptedException e) {
            server.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
