package io.podvisor.hypervisor.cloudhypervisor;

import io.podvisor.hypervisor.GuestImage;
import io.podvisor.hypervisor.Hypervisor;
import io.podvisor.hypervisor.HypervisorSelection;
import io.podvisor.hypervisor.KernelCommandLine;
import io.podvisor.hypervisor.RuntimeDisk;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The Cloud Hypervisor driver: one {@code cloud-hypervisor} process per pod VM, driven through
 * its REST API on a unix socket in the VM's run directory. It needs KVM.
 */
public final class CloudHypervisor implements Hypervisor {
    public static final String NAME = HypervisorSelection.CLOUD_HYPERVISOR;

    /** Cloud Hypervisor answers API calls in milliseconds; vm.boot and vm.shutdown in well under this. */
    static final Duration API_TIMEOUT = Duration.ofSeconds(30);
    static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    /** sun_path holds 108 bytes including the NUL. */
    static final int MAX_SOCKET_PATH = 107;
    /** Guest-initiated vsock connections arrive at {@code <hybrid socket>_<port>}. */
    private static final int HYBRID_PORT_SUFFIX = "_4294967295".length();

    private final Path binary;
    private final String runtimeDiskSetting;

    /**
     * @param binary             the cloud-hypervisor executable, as {@link HypervisorSelection} found it
     * @param runtimeDiskSetting the config key {@code runtime_disk} (see {@link RuntimeDisk#decide})
     */
    public CloudHypervisor(Path binary, String runtimeDiskSetting) {
        this.binary = binary;
        this.runtimeDiskSetting = runtimeDiskSetting;
    }

    /** How {@code image}'s runtime disk reaches the guest: Cloud Hypervisor maps any aligned image as pmem. */
    public RuntimeDisk runtimeDisk(GuestImage image) throws VmmException {
        return RuntimeDisk.decide(runtimeDiskSetting, RuntimeDisk.imageProblem(image));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Starts the VMM in the pod's network namespace and creates (not boots) the VM in it. */
    @Override
    public CloudHypervisorVm create(VmSpec spec) throws VmmException {
        spec.image().requireFiles();
        if (!Files.isExecutable(binary)) {
            throw new VmmException("VM " + spec.name() + ": Cloud Hypervisor is not installed at " + binary
                    + ": install its static binary there (or set cloud_hypervisor_path in /etc/podvisor/config.toml)");
        }
        ChFiles files = ChFiles.of(spec);
        requireShortEnough(spec, files.apiSocket(), 0);
        requireShortEnough(spec, files.hybridVsock(), HYBRID_PORT_SUFFIX);
        return CloudHypervisorVm.start(spec, argv(binary, files), vmConfig(spec, runtimeDisk(spec.image())));
    }

    /**
     * The exact {@code vm.create} body the driver sends for {@code spec}, pretty-printed: for
     * {@code podvisor vm config --hypervisor cloud-hypervisor} and for admins comparing it with
     * Cloud Hypervisor's API documentation.
     */
    public String vmCreateBody(VmSpec spec) throws VmmException {
        return ApiJson.writePretty(vmConfig(spec, runtimeDisk(spec.image())));
    }

    static ApiTypes.VmConfig vmConfig(VmSpec spec, RuntimeDisk runtimeDisk) throws VmmException {
        return VmConfigMapping.vmConfig(spec, KernelCommandLine.build(spec, runtimeDisk.kernelArgs()), runtimeDisk);
    }

    private static void requireShortEnough(VmSpec spec, Path socket, int suffix) throws VmmException {
        int length = socket.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length + suffix;
        if (length > MAX_SOCKET_PATH) {
            throw new VmmException("VM " + spec.name() + ": socket path " + socket + " is too long for a unix socket ("
                    + length + " of at most " + MAX_SOCKET_PATH + " bytes" + (suffix > 0 ? " with its _<port> suffix" : "")
                    + "); use a shorter run directory");
        }
    }

    /**
     * The VMM command line. Without {@code --log-file} Cloud Hypervisor logs to stderr, which goes
     * to the VM's log file together with any fatal error; {@code -v} adds one line per API call
     * and device event.
     */
    static List<String> argv(Path binary, ChFiles files) {
        return List.of(binary.toString(),
                "--api-socket", "path=" + files.apiSocket().toAbsolutePath(),
                "--seccomp", "true",
                "-v");
    }
}
