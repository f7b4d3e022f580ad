package io.podvisor.hypervisor.cloudhypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.FsConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.NetConfig;
import io.podvisor.hypervisor.cloudhypervisor.ApiTypes.PciDeviceInfo;
import io.podvisor.hypervisor.cloudhypervisor.FakeApiServer.Request;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST client against a unix-socket server answering as Cloud Hypervisor documents. */
class CloudHypervisorApiTest {
    @TempDir
    Path dir;

    private FakeApiServer server;
    private CloudHypervisorApi api;
    private Path log;

    @BeforeEach
    void start() throws IOException {
        server = new FakeApiServer(dir.resolve("ch-api.sock"));
        log = dir.resolve("cloud-hypervisor.log");
        api = new CloudHypervisorApi("pod-a", new UnixHttpClient(server.socket(), Duration.ofSeconds(5)), log);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    @Test
    void bodylessPutSendsNoBodyAndAccepts204() throws VmmException {
        api.boot();
        Request r = server.last();
        assertEquals("PUT", r.method());
        assertEquals("/api/v1/vm.boot", r.target());
        assertEquals("localhost", r.headers().get("host"));
        assertNull(r.body());
        assertTrue(!r.headers().containsKey("content-length"), "Cloud Hypervisor rejects a body on vm.boot");
    }

    @Test
    void putWithBodySendsJsonWithItsLength() throws VmmException {
        Optional<PciDeviceInfo> device = api.addFs(new FsConfig("pod", "/run/x/fs.sock", 1, 1024));
        Request r = server.last();
        assertEquals("PUT", r.method());
        assertEquals("/api/v1/vm.add-fs", r.target());
        assertEquals("application/json", r.headers().get("content-type"));
        assertEquals("{\"tag\":\"pod\",\"socket\":\"/run/x/fs.sock\",\"num_queues\":1,\"queue_size\":1024}", r.body());
        assertEquals(String.valueOf(r.body().getBytes(StandardCharsets.UTF_8).length), r.headers().get("content-length"));
        assertEquals(Optional.of(new PciDeviceInfo("_fs3", "0000:00:05.0")), device);
    }

    @Test
    void deviceAddedBeforeBootAnswers204WithoutDeviceInfo() throws VmmException {
        server.respond("/api/v1/vm.add-disk", FakeApiServer.response(204, "No Content", null));
        assertEquals(Optional.empty(), api.addDisk(VmConfigMapping.disk(Path.of("/img/extra.raw"), true, "extra")));
    }

    @Test
    void notFoundNamesThePodTheCallAndCloudHypervisorsMessages() {
        server.respond("/api/v1/vm.boot", FakeApiServer.response(404, "Not Found",
                "[\"Error from API\",\"The VM could not boot\",\"VM is not created\"]"));
        VmmException e = assertThrows(VmmException.class, api::boot);
        assertEquals("cloud-hypervisor: vm.boot for pod pod-a failed: 404 Not Found: Error from API: "
                + "The VM could not boot: VM is not created (VMM log: " + log + ")", e.getMessage());
    }

    @Test
    void methodNotAllowedWithoutBodyStillSaysWhatFailed() {
        server.respond("/api/v1/vm.shutdown", FakeApiServer.response(405, "Method Not Allowed", null));
        VmmException e = assertThrows(VmmException.class, api::shutdown);
        assertEquals("cloud-hypervisor: vm.shutdown for pod pod-a failed: 405 Method Not Allowed (VMM log: "
                + log + ")", e.getMessage());
    }

    @Test
    void internalServerErrorWithChunkedPlainTextBody() {
        String text = "Error creating VM: VmCreate(\n  InvalidPayload)";
        server.respond("/api/v1/vm.create", "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(text.length()) + "\r\n" + text + "\r\n0\r\n\r\n");
        VmmException e = assertThrows(VmmException.class,
                () -> api.create(VmConfigMapping.vmConfig(PodShapes.pod("p", 1, 128, 0, 0), "console=ttyS0", PodShapes.PMEM)));
        assertTrue(e.getMessage().startsWith("cloud-hypervisor: vm.create for pod pod-a failed: 500 Internal Server"
                + " Error: Error creating VM: VmCreate( InvalidPayload)"), e.getMessage());
    }

    @Test
    void tooManyRequestsOnResizeIsAnError() {
        server.respond("/api/v1/vm.resize", FakeApiServer.response(429, "Too Many Requests",
                "[\"Error from API\",\"a vCPU removal is still pending\"]"));
        VmmException e = assertThrows(VmmException.class, () -> api.resize(VmConfigMapping.resize(2, 512)));
        assertTrue(e.getMessage().contains("vm.resize for pod pod-a failed: 429 Too Many Requests"), e.getMessage());
        assertEquals("{\"desired_vcpus\":2,\"desired_ram\":536870912}", server.last().body());
    }

    @Test
    void getOperationsParseTheirDocumentedBodies() throws VmmException {
        assertEquals("54.0", api.ping().version());
        assertEquals("GET", server.last().method());
        assertEquals("/api/v1/vmm.ping", server.last().target());
        assertEquals("Running", api.info().state());
        assertEquals("/api/v1/vm.info", server.last().target());
        assertEquals(Map.of("_disk0", Map.of("read_bytes", 4096L, "write_bytes", 0L), "_net1", Map.of("rx_bytes", 99L)),
                api.counters());
        assertEquals("/api/v1/vm.counters", server.last().target());
    }

    @Test
    void chunkedSuccessBodyIsRead() throws VmmException {
        String json = "{\"config\":{},\"state\":\"Paused\"}";
        server.respond("/api/v1/vm.info", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(10) + "\r\n" + json.substring(0, 10) + "\r\n"
                + Integer.toHexString(json.length() - 10) + "\r\n" + json.substring(10) + "\r\n0\r\n\r\n");
        assertEquals("Paused", api.info().state());
    }

    @Test
    void answerThatIsNotTheDocumentedSchemaIsReported() {
        server.respond("/api/v1/vmm.ping", FakeApiServer.response(200, "OK", "<html>hello</html>"));
        VmmException e = assertThrows(VmmException.class, api::ping);
        assertTrue(e.getMessage().startsWith("cloud-hypervisor: vmm.ping for pod pod-a failed: the answer is not a "
                + "VmmPingResponse"), e.getMessage());
    }

    @Test
    void vmmShutdownAcceptsThe200CloudHypervisorSends() throws VmmException {
        server.respond("/api/v1/vmm.shutdown", FakeApiServer.response(200, "OK", null));
        api.shutdownVmm();
        assertEquals("/api/v1/vmm.shutdown", server.last().target());
    }

    @Test
    void tapDescriptorsTravelWithTheAddNetRequest() throws IOException {
        Path tapStandIn = dir.resolve("tap-standin");
        Files.writeString(tapStandIn, "read through the passed fd");
        try (FileInputStream file = new FileInputStream(tapStandIn.toFile())) {
            api.addNet(new NetConfig(null, "02:00:00:00:00:01", 2), List.of(file.getFD()));
        }
        Request r = server.last();
        assertEquals("/api/v1/vm.add-net", r.target());
        assertEquals("{\"mac\":\"02:00:00:00:00:01\",\"num_queues\":2}", r.body());
        assertEquals(List.of("read through the passed fd"), r.fdContents());
    }

    @Test
    void requestsWithoutDescriptorsPassNone() throws VmmException {
        api.addNet(new NetConfig("tap0", "02:00:00:00:00:01", null), List.of());
        assertEquals(List.of(), server.last().fdContents());
        assertEquals("{\"tap\":\"tap0\",\"mac\":\"02:00:00:00:00:01\"}", server.last().body());
    }

    @Test
    void readinessRetriesARefusedConnectionWhileTheVmmRuns() throws Exception {
        server.close();
        AtomicReference<FakeApiServer> late = new AtomicReference<>();
        try {
            BooleanSupplier vmmAlive = () -> {
                if (late.get() == null) { // the first attempt was refused: now the VMM starts listening
                    try {
                        late.set(new FakeApiServer(server.socket()));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return true;
            };
            assertEquals("54.0", api.awaitReady(vmmAlive, Duration.ofSeconds(5)).version());
        } finally {
            if (late.get() != null) {
                late.get().close();
            }
        }
    }

    @Test
    void readinessGivesUpAtOnceWhenTheVmmHasExited() throws IOException {
        server.close();
        VmmException e = assertThrows(VmmException.class, () -> api.awaitReady(() -> false, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("vmm.ping for pod pod-a failed: no answer"), e.getMessage());
    }

    @Test
    void vmmThatIsGoneIsReportedWithTheSocketAndTheLog() throws IOException {
        server.close();
        VmmException e = assertThrows(VmmException.class, api::boot);
        assertTrue(e.getMessage().startsWith("cloud-hypervisor: vm.boot for pod pod-a failed: no answer on the API "
                + "socket " + server.socket()), e.getMessage());
        assertTrue(e.getMessage().endsWith("is the VMM still running? See " + log), e.getMessage());
    }
}
