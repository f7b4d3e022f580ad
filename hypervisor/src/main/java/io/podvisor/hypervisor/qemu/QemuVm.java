package io.podvisor.hypervisor.qemu;

import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmState;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.VmmProcess;
import io.podvisor.hypervisor.vsock.VhostUserVsockBackend;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One VM under one QEMU process, with its vhost-user-vsock backend running in this JVM. QEMU's
 * log goes to qemu.log and the guest's serial console to console.log in the run directory.
 */
final class QemuVm implements Vmm {

    private static final System.Logger LOG = System.getLogger(QemuVm.class.getName());
    /** QEMU under TCG on a loaded two-core host can take a few seconds to set up its devices. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);

    private final VmSpec spec;
    private final List<String> argv;
    private final QemuFiles files;
    private final VmmUid uid;
    private VhostUserVsockBackend vsock;
    private VmmProcess qemu;
    private QmpClient qmp;
    private boolean closed;

    /** @param uid the user id QEMU drops to, released with the VM; null when QEMU stays root */
    QemuVm(VmSpec spec, List<String> argv, QemuFiles files, VmmUid uid) {
        this.spec = spec;
        this.argv = List.copyOf(argv);
        this.files = files;
        this.uid = uid;
    }

    @Override
    public VmSpec spec() {
        return spec;
    }

    /** The QEMU command line, without the launch wrappers. */
    List<String> argv() {
        return argv;
    }

    @Override
    public synchronized void boot() throws VmmException {
        if (closed) {
            throw new VmmException("VM " + spec.name() + " is closed; create a new one");
        }
        if (qemu != null) {
            throw new VmmException("VM " + spec.name() + " was already booted");
        }
        for (VmSpec.FsShare share : spec.shares()) {
            if (!Files.exists(share.vhostUserSocket())) {
                throw new VmmException("VM " + spec.name() + ": virtio-fs share " + share.tag() + ": "
                        + share.vhostUserSocket() + " does not exist; start its virtiofsd before booting the VM");
            }
        }
        try {
            for (Path stale : files.removedOnClose()) {
                Files.deleteIfExists(stale);
            }
            vsock = VhostUserVsockBackend.start(spec.name(), files.vhostUserVsock(), files.hybridVsock(), spec.guestCid());
            qemu = VmmProcess.start(spec.name(), "qemu", argv, spec.netns(), files.qemuLog());
            qemu.awaitSocket(files.qmp(), START_TIMEOUT);
            qmp = QmpClient.connect(spec.name(), files.qmp(), qemu::isAlive, START_TIMEOUT);
            VmState state = qmp.status(QMP_TIMEOUT);
            if (state != VmState.RUNNING) {
                throw new VmmException("VM " + spec.name() + ": QEMU reports the guest " + state
                        + " right after start; see " + files.qemuLog() + " and " + files.console());
            }
        } catch (IOException | IllegalArgumentException e) {
            VmmException failure = bootFailure(e);
            release();
            throw failure;
        }
    }

    /** Early QEMU death explains more than the symptom (a refused or closed QMP socket). */
    private VmmException bootFailure(Exception e) {
        if (qemu != null && (!qemu.isAlive() || qemu.awaitExit(Duration.ofMillis(200)))) {
            return qemu.died("while booting");
        }
        if (e instanceof VmmException v) {
            return v;
        }
        return new VmmException("VM " + spec.name() + ": cannot boot: " + e.getMessage(), e);
    }

    @Override
    public synchronized VmState state() throws VmmException {
        if (qemu == null) {
            return closed ? VmState.SHUTDOWN : VmState.CREATED;
        }
        if (!qemu.isAlive()) {
            return VmState.SHUTDOWN;
        }
        try {
            return qmp.status(QMP_TIMEOUT);
        } catch (VmmException e) {
            if (!qemu.isAlive() || qemu.awaitExit(Duration.ofMillis(200))) {
                return VmState.SHUTDOWN;
            }
            throw e;
        }
    }

    /**
     * microvm has no ACPI power button the guest acts on, so the guest agent powers off on its
     * own; here QEMU is told to quit, and killed if it has not within {@code grace}.
     */
    @Override
    public synchronized void stop(Duration grace) throws VmmException {
        if (qemu == null) {
            return;
        }
        if (qemu.isAlive()) {
            long deadline = System.nanoTime() + grace.toNanos();
            try {
                qmp.execute("quit", null, grace);
            } catch (VmmException e) {
                LOG.log(Level.DEBUG, "VM {0}: QMP quit: {1}", spec.name(), e.getMessage());
            }
            if (!qemu.awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                LOG.log(Level.WARNING, "VM {0}: QEMU did not quit within {1} ms; killing it", spec.name(),
                        grace.toMillis());
                qemu.kill();
            }
        }
        release();
    }

    @Override
    public Path consoleLog() {
        return files.console();
    }

    @Override
    public Path vsockSocket() {
        return files.hybridVsock();
    }

    @Override
    public synchronized Optional<String> vmmExit() {
        return qemu != null && !qemu.isAlive() ? Optional.of(qemu.died("").getMessage()) : Optional.empty();
    }

    @Override
    public synchronized List<ProcessHandle> hostProcesses() {
        return qemu != null && qemu.isAlive() ? List.of(qemu.handle()) : List.of();
    }

    @Override
    public synchronized void close() {
        closed = true;
        release();
    }

    /** Kills QEMU, then its vsock backend; removes sockets and the pid file, releases QEMU's user id. Never throws. */
    private void release() {
        if (qmp != null) {
            qmp.close();
        }
        if (qemu != null) {
            qemu.kill();
        }
        if (vsock != null) {
            vsock.close();
            vsock = null;
        }
        for (Path p : files.removedOnClose()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "VM {0}: cannot remove {1}: {2}", spec.name(), p, e.getMessage());
            }
        }
        if (uid != null && (qemu == null || !qemu.isAlive())) {
            uid.close();
        }
    }
}
