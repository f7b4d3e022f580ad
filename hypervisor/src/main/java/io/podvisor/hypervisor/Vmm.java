package io.podvisor.hypervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One VM under one VMM process. Obtained from {@link Hypervisor#create(VmSpec)}.
 * {@link #close()} always leaves no process, socket or file of the VM behind (the run directory
 * itself belongs to the caller).
 */
public interface Vmm extends AutoCloseable {

    VmSpec spec();

    /** Boots the guest. Returns once the VMM runs the guest, not when the agent is ready. */
    void boot() throws VmmException;

    VmState state() throws VmmException;

    /** Asks the guest to power off, waits up to {@code grace}, then stops the VMM by force. */
    void stop(Duration grace) throws VmmException;

    /** The file the guest's serial console is written to. */
    Path consoleLog();

    /**
     * The hybrid vsock unix socket: connect, write {@code CONNECT <port>\n}, read
     * {@code OK <hostport>\n}, then the stream is the guest's port.
     */
    Path vsockSocket();

    /** The host processes this VM consists of (VMM, device backends), for accounting. */
    List<ProcessHandle> hostProcesses();

    /**
     * How the VMM process ended, with the last lines of its log ("VM X: qemu was killed by signal 9 ..."), or
     * empty while it runs or before it started.
     */
    Optional<String> vmmExit();

    /** Kills whatever is left of the VM and removes its sockets. Never throws. */
    @Override
    void close();
}
