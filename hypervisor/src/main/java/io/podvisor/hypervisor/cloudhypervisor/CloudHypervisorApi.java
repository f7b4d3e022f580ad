package io.podvisor.hypervisor.cloudhypervisor;

import com.fasterxml.jackson.core.type.TypeReference;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.DiskConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.FsConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.NetConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.PciDeviceInfo;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.VmConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.VmInfo;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.VmResize;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.VmmPingResponse;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The REST API of one Cloud Hypervisor process. Every failure becomes a {@link VmmException}
 * naming the pod, the operation and what Cloud Hypervisor answered.
 */
final class CloudHypervisorApi {
    private final String pod;
    private final UnixHttpClient http;
    private final Path vmmLog;

    CloudHypervisorApi(String pod, UnixHttpClient http, Path vmmLog) {
        this.pod = pod;
        this.http = http;
        this.vmmLog = vmmLog;
    }

    /** The same API with calls bounded by {@code timeout} instead (e.g. the rest of a stop's grace). */
    CloudHypervisorApi withTimeout(Duration timeout) {
        return new CloudHypervisorApi(pod, new UnixHttpClient(http.socket(), timeout), vmmLog);
    }

    /**
     * Pings until the API answers. Its socket file appears at bind(), a moment before Cloud
     * Hypervisor listens, so a refused connection is retried while {@code vmmAlive} holds.
     */
    VmmPingResponse awaitReady(BooleanSupplier vmmAlive, Duration timeout) throws VmmException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return ping();
            } catch (VmmException e) {
                if (!(e.getCause() instanceof ConnectException) || !vmmAlive.getAsBoolean()
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    VmmPingResponse ping() throws VmmException {
        return parse(Endpoint.VMM_PING, call(Endpoint.VMM_PING, null, List.of()), VmmPingResponse.class);
    }

    void create(VmConfig config) throws VmmException {
        call(Endpoint.VM_CREATE, config, List.of());
    }

    void boot() throws VmmException {
        call(Endpoint.VM_BOOT, null, List.of());
    }

    VmInfo info() throws VmmException {
        return parse(Endpoint.VM_INFO, call(Endpoint.VM_INFO, null, List.of()), VmInfo.class);
    }

    /** Stops the guest at once (no ACPI); the VMM keeps running. */
    void shutdown() throws VmmException {
        call(Endpoint.VM_SHUTDOWN, null, List.of());
    }

    /** Presses the ACPI power button: a guest that handles it powers off. */
    void powerButton() throws VmmException {
        call(Endpoint.VM_POWER_BUTTON, null, List.of());
    }

    /** Makes the VMM process exit. */
    void shutdownVmm() throws VmmException {
        call(Endpoint.VMM_SHUTDOWN, null, List.of());
    }

    /** Adds a NIC; {@code tapFds} (one per queue pair) travel with the request when the TAP is opened by us. */
    Optional<PciDeviceInfo> addNet(NetConfig net, List<FileDescriptor> tapFds) throws VmmException {
        return device(Endpoint.VM_ADD_NET, call(Endpoint.VM_ADD_NET, net, tapFds));
    }

    Optional<PciDeviceInfo> addFs(FsConfig fs) throws VmmException {
        return device(Endpoint.VM_ADD_FS, call(Endpoint.VM_ADD_FS, fs, List.of()));
    }

    Optional<PciDeviceInfo> addDisk(DiskConfig disk) throws VmmException {
        return device(Endpoint.VM_ADD_DISK, call(Endpoint.VM_ADD_DISK, disk, List.of()));
    }

    void resize(VmResize resize) throws VmmException {
        call(Endpoint.VM_RESIZE, resize, List.of());
    }

    /** Per-device counters, e.g. {@code {"_net2": {"rx_bytes": 1234, ...}, ...}}. */
    Map<String, Map<String, Long>> counters() throws VmmException {
        HttpResponse response = call(Endpoint.VM_COUNTERS, null, List.of());
        try {
            return ApiJson.read(response.body(), new TypeReference<Map<String, Map<String, Long>>>() {});
        } catch (IOException e) {
            throw malformed(Endpoint.VM_COUNTERS, "VmCounters", e);
        }
    }

    private HttpResponse call(Endpoint endpoint, Object body, List<FileDescriptor> fds) throws VmmException {
        HttpResponse response;
        try {
            response = http.send(endpoint.method, endpoint.target(), body == null ? null : ApiJson.write(body), fds);
        } catch (IOException e) {
            throw new VmmException(prefix(endpoint) + "no answer on the API socket " + http.socket() + " ("
                    + e.getMessage() + "): is the VMM still running? See " + vmmLog, e);
        }
        if (!response.isSuccess()) {
            String detail = ErrorBody.describe(response.body());
            throw new VmmException(prefix(endpoint) + response.status()
                    + (response.reason().isEmpty() ? "" : " " + response.reason())
                    + (detail.isEmpty() ? "" : ": " + detail) + " (VMM log: " + vmmLog + ")");
        }
        return response;
    }

    private Optional<PciDeviceInfo> device(Endpoint endpoint, HttpResponse response) throws VmmException {
        if (response.body().length == 0) {
            return Optional.empty(); // 204: added to a VM that is not booted yet
        }
        return Optional.of(parse(endpoint, response, PciDeviceInfo.class));
    }

    private <T> T parse(Endpoint endpoint, HttpResponse response, Class<T> type) throws VmmException {
        try {
            return ApiJson.read(response.body(), type);
        } catch (IOException e) {
            throw malformed(endpoint, type.getSimpleName(), e);
        }
    }

    private VmmException malformed(Endpoint endpoint, String schema, IOException e) {
        return new VmmException(prefix(endpoint) + "the answer is not a " + schema + " ("
                + e.getMessage() + "); is this Cloud Hypervisor version supported?", e);
    }

    private String prefix(Endpoint endpoint) {
        return "cloud-hypervisor: " + endpoint.operation + " for pod " + pod + " failed: ";
    }
}
