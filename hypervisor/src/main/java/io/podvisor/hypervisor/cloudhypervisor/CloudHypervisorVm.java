package io.podvisor.hypervisor.cloudhypervisor;

import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmSpec.FsShare;
import io.podvisor.hypervisor.VmSpec.NetDevice;
import io.podvisor.hypervisor.VmState;
import io.podvisor.hypervisor.Vmm;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.VmmProcess;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.PciDeviceInfo;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One pod VM under one {@code cloud-hypervisor} process. Besides the {@link Vmm} lifecycle it
 * adds devices to the running VM and resizes it (pod resource updates).
 */
public final class CloudHypervisorVm implements Vmm {
    private static final System.Logger LOG = System.getLogger(CloudHypervisorVm.class.getName());
    private static final Duration EXIT_WAIT = Duration.ofSeconds(5);

    private final VmSpec spec;
    private final ChFiles files;
    private final VmmProcess process;
    private final CloudHypervisorApi api;
    private final String vmmVersion;
    private boolean closed;

    private CloudHypervisorVm(VmSpec spec, ChFiles files, VmmProcess process, CloudHypervisorApi api,
            String vmmVersion) {
        this.spec = spec;
        this.files = files;
        this.process = process;
        this.api = api;
        this.vmmVersion = vmmVersion;
    }

    /** Starts {@code argv} (a cloud-hypervisor command line), waits for its API and creates the VM. */
    static CloudHypervisorVm start(VmSpec spec, List<String> argv, ApiTypes.VmConfig config) throws VmmException {
        ChFiles files = ChFiles.of(spec);
        if (!Files.isDirectory(spec.runDir())) {
            throw new VmmException("VM " + spec.name() + ": run directory " + spec.runDir() + " does not exist");
        }
        removeQuietly(spec.name(), files.removedOnClose());
        VmmProcess process = VmmProcess.start(spec.name(), CloudHypervisor.NAME, argv, spec.netns(), files.vmmLog());
        try {
            process.awaitSocket(files.apiSocket(), CloudHypervisor.START_TIMEOUT);
            CloudHypervisorApi api = new CloudHypervisorApi(spec.name(),
                    new UnixHttpClient(files.apiSocket(), CloudHypervisor.API_TIMEOUT), files.vmmLog());
            String version = api.awaitReady(process::isAlive, CloudHypervisor.START_TIMEOUT).version();
            api.create(config);
            LOG.log(Level.DEBUG, "VM {0}: created in cloud-hypervisor {1} (pid {2})", spec.name(), version,
                    process.pid());
            return new CloudHypervisorVm(spec, files, process, api, version);
        } catch (VmmException e) {
            VmmException failure = !process.isAlive() || process.awaitExit(Duration.ofMillis(200))
                    ? process.died("while the VM was being created: " + e.getMessage())
                    : e;
            process.kill();
            removeQuietly(spec.name(), files.removedOnClose());
            throw failure;
        }
    }

    @Override
    public VmSpec spec() {
        return spec;
    }

    /** The version the VMM reported (vmm.ping). */
    public String vmmVersion() {
        return vmmVersion;
    }

    @Override
    public synchronized void boot() throws VmmException {
        requireOpen();
        try {
            api.boot();
        } catch (VmmException e) {
            throw process.isAlive() && !process.awaitExit(Duration.ofMillis(200)) ? e : process.died("while booting");
        }
    }

    @Override
    public synchronized VmState state() throws VmmException {
        if (closed || !process.isAlive()) {
            return VmState.SHUTDOWN;
        }
        String state;
        try {
            state = api.info().state();
        } catch (VmmException e) {
            if (!process.isAlive() || process.awaitExit(Duration.ofMillis(200))) {
                return VmState.SHUTDOWN;
            }
            throw e;
        }
        return switch (state == null ? "" : state) {
            case "Created" -> VmState.CREATED;
            case "Running" -> VmState.RUNNING;
            case "Paused", "BreakPoint" -> VmState.PAUSED;
            case "Shutdown" -> VmState.SHUTDOWN;
            default -> throw new VmmException("cloud-hypervisor: vm.info for pod " + spec.name()
                    + " reports the unknown state \"" + state + "\"; is this Cloud Hypervisor version supported?");
        };
    }

    /**
     * The guest agent powers the guest off on its own (Cloud Hypervisor then exits); here the VM
     * is shut down and the VMM told to exit, and killed if it has not within {@code grace}.
     */
    @Override
    public synchronized void stop(Duration grace) throws VmmException {
        if (closed) {
            return;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        if (process.isAlive()) {
            callQuietly(deadline, CloudHypervisorApi::shutdown); // fails harmlessly if the guest never booted
            callQuietly(deadline, CloudHypervisorApi::shutdownVmm);
            if (!process.awaitExit(remaining(deadline))) {
                LOG.log(Level.WARNING, "VM {0}: cloud-hypervisor did not exit within {1} ms; killing it",
                        spec.name(), String.valueOf(grace.toMillis()));
                process.kill();
            }
        }
        release();
    }

    /** Hot-plugs a virtio-fs device for {@code share}; returns Cloud Hypervisor's device id once booted. */
    public synchronized Optional<String> addFs(FsShare share) throws VmmException {
        requireOpen();
        return api.addFs(VmConfigMapping.fs(share)).map(PciDeviceInfo::id);
    }

    /** Hot-plugs a NIC on an existing TAP that Cloud Hypervisor opens by name in its network namespace. */
    public synchronized Optional<String> addNet(NetDevice nic) throws VmmException {
        requireOpen();
        return api.addNet(VmConfigMapping.net(nic), List.of()).map(PciDeviceInfo::id);
    }

    /**
     * Hot-plugs a NIC on TAP queues the caller opened (one fd per queue pair); the fds are passed
     * to Cloud Hypervisor with SCM_RIGHTS and may be closed afterwards.
     */
    public synchronized Optional<String> addNet(NetDevice nic, List<FileDescriptor> tapQueueFds)
            throws VmmException {
        requireOpen();
        if (tapQueueFds.isEmpty()) {
            throw new IllegalArgumentException("VM " + spec.name() + ": addNet with fds needs at least one TAP fd");
        }
        return api.addNet(VmConfigMapping.netFromFds(nic, tapQueueFds.size()), tapQueueFds).map(PciDeviceInfo::id);
    }

    /** Hot-plugs a virtio-blk disk backed by {@code image}. */
    public synchronized Optional<String> addDisk(Path image, boolean readonly, String id) throws VmmException {
        requireOpen();
        return api.addDisk(VmConfigMapping.disk(image, readonly, id)).map(PciDeviceInfo::id);
    }

    /**
     * Resizes the running VM. vCPUs can grow only up to the boot count (the VM is created with
     * max_vcpus = vcpus) and memory only within what is hot-pluggable.
     */
    public synchronized void resize(int vcpus, long memoryMiB) throws VmmException {
        requireOpen();
        api.resize(VmConfigMapping.resize(vcpus, memoryMiB));
    }

    /** Per-device counters, e.g. {@code {"_net2": {"rx_bytes": 1234, ...}, ...}}. */
    public synchronized Map<String, Map<String, Long>> counters() throws VmmException {
        requireOpen();
        return api.counters();
    }

    @Override
    public Path consoleLog() {
        return files.console();
    }

    @Override
    public Path vsockSocket() {
        return files.hybridVsock();
    }

    /** Cloud Hypervisor's own log (its stderr), kept after close. */
    public Path vmmLog() {
        return files.vmmLog();
    }

    @Override
    public synchronized Optional<String> vmmExit() {
        return process != null && !process.isAlive() ? Optional.of(process.died("").getMessage()) : Optional.empty();
    }

    @Override
    public synchronized List<ProcessHandle> hostProcesses() {
        return process.isAlive() ? List.of(process.handle()) : List.of();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            release();
        }
    }

    private void release() {
        closed = true;
        process.close();
        removeQuietly(spec.name(), files.removedOnClose());
    }

    private interface ApiCall {
        void call(CloudHypervisorApi api) throws VmmException;
    }

    /** Makes {@code call} with a timeout of what is left until {@code deadline}; logs a failure. */
    private void callQuietly(long deadline, ApiCall call) {
        Duration left = remaining(deadline);
        if (left.toMillis() < 1 || !process.isAlive()) {
            return;
        }
        try {
            call.call(api.withTimeout(left));
        } catch (VmmException e) {
            LOG.log(Level.DEBUG, "VM {0}: {1}", spec.name(), e.getMessage());
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private void requireOpen() throws VmmException {
        if (closed) {
            throw new VmmException("VM " + spec.name() + " is closed; create a new one");
        }
    }

    private static void removeQuietly(String vm, List<Path> paths) {
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "VM {0}: cannot remove {1}: {2}", vm, p, e.getMessage());
            }
        }
    }
}
