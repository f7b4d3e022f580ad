package io.podvisor.hypervisor.cloudhypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.podvisor.hypervisor.KernelCommandLine;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.cloudhypervisor.FakeApiServer.Request;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every request the driver sends, as it goes over the wire, checked against Cloud Hypervisor's
 * OpenAPI document: the operation exists, it takes a body exactly when the driver sends one, and
 * the body validates against the operation's request schema (closed to unknown properties).
 */
class CloudHypervisorContractTest {
    private static final String CMDLINE = "console=ttyS0 panic=-1 oops=panic loglevel=6";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static OpenApiDocument doc;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadDocument() throws IOException {
        doc = OpenApiDocument.load();
    }

    static List<Named<VmSpec>> pods() {
        return PodShapes.all().map(p -> Named.of(p.name() + " (" + p.vcpus() + " vCPUs, " + p.memoryMiB() + " MiB, "
                + p.shares().size() + " shares, " + p.nets().size() + " NICs)", p)).toList();
    }

    @Test
    void everyOperationTheDriverCallsIsInTheDocument() {
        for (Endpoint e : Endpoint.values()) {
            assertTrue(doc.hasOperation(e.documentPath(), e.method),
                    e.method + " " + e.documentPath() + " is not in the API document " + doc.version());
        }
    }

    @ParameterizedTest
    @MethodSource("pods")
    void everyRequestForThisPodConformsToTheDocument(VmSpec pod) throws IOException {
        List<Request> requests = driveEveryOperation(pod);
        Set<String> called = requests.stream().map(Request::target).collect(Collectors.toSet());
        for (Endpoint e : Endpoint.values()) {
            assertTrue(called.contains(e.target()), e.operation + " was not exercised");
        }
        List<String> violations = new ArrayList<>();
        for (Request r : requests) {
            violations.addAll(violations(r));
        }
        assertEquals(List.of(), violations);
    }

    @ParameterizedTest
    @MethodSource("pods")
    void printedVmCreateBodyConformsAndHasTheFullKernelCommandLine(VmSpec pod) throws IOException {
        String printed = new CloudHypervisor(Path.of("/usr/local/bin/cloud-hypervisor"), "virtio-blk").vmCreateBody(pod);
        assertTrue(printed.lines().count() > 20, "pretty-printed for admins:\n" + printed);
        assertEquals(List.of(), doc.validate("VmConfig", printed));
        assertEquals(String.join(" ", KernelCommandLine.COMMON) + " podvisor.debug=1",
                JSON.readTree(printed).at("/payload/cmdline").asText());
    }

    @ParameterizedTest
    @MethodSource("pods")
    void vmConfigCarriesThePodsShape(VmSpec pod) throws IOException {
        var body = JSON.readTree(ApiJson.write(VmConfigMapping.vmConfig(pod, CMDLINE, PodShapes.PMEM)));
        assertEquals(pod.vcpus(), body.at("/cpus/boot_vcpus").asInt());
        assertEquals(pod.memoryMiB() << 20, body.at("/memory/size").asLong());
        assertTrue(body.at("/memory/shared").asBoolean(), "virtio-fs needs shared guest memory");
        assertEquals(pod.shares().size(), body.path("fs").size());
        assertEquals(pod.nets().size(), body.path("net").size());
        assertEquals(0, body.path("disks").size());
        assertEquals(1, body.path("pmem").size());
        assertEquals(pod.image().runtimeDisk().toString(), body.at("/pmem/0/file").asText());
        assertTrue(body.at("/pmem/0/discard_writes").asBoolean(), "the guest must never change the shared image");
        assertEquals(0, body.at("/balloon/size").asLong(-1));
        assertTrue(body.at("/balloon/free_page_reporting").asBoolean());
        assertEquals(pod.guestCid(), body.at("/vsock/cid").asLong());
        assertEquals(pod.runFile("vsock.sock").toString(), body.at("/vsock/socket").asText());
        assertEquals("File", body.at("/serial/mode").asText());
        assertEquals(pod.runFile("console.log").toString(), body.at("/serial/file").asText());
        assertEquals("Off", body.at("/console/mode").asText());
        assertEquals(CMDLINE, body.at("/payload/cmdline").asText());
    }

    @Test
    void runtimeDiskFallsBackToAReadOnlyDisk() throws IOException {
        var body = JSON.readTree(ApiJson.write(VmConfigMapping.vmConfig(PodShapes.pod("p", 1, 128, 0, 0), CMDLINE,
                PodShapes.VIRTIO_BLK)));
        assertEquals(0, body.path("pmem").size());
        assertEquals(1, body.path("disks").size());
        assertEquals(PodShapes.IMAGE.runtimeDisk().toString(), body.at("/disks/0/path").asText());
        assertTrue(body.at("/disks/0/readonly").asBoolean());
        assertTrue(body.at("/balloon/free_page_reporting").asBoolean());
    }

    @Test
    void validatorRejectsAVcpuCountSentAsAString() {
        assertRejected(b -> b.withObjectProperty("cpus").put("boot_vcpus", "2"), "/cpus/boot_vcpus");
    }

    @Test
    void validatorRejectsAMissingRequiredField() {
        assertRejected(b -> b.remove("payload"), "payload");
        assertRejected(b -> ((ObjectNode) b.withArray("fs").get(0)).remove("socket"), "socket");
        assertRejected(b -> b.withObjectProperty("vsock").remove("cid"), "cid");
    }

    @Test
    void validatorRejectsAPropertyTheDocumentDoesNotKnow() {
        assertRejected(b -> b.withObjectProperty("cpus").set("boot_vcpu", b.at("/cpus/boot_vcpus")), "boot_vcpu");
    }

    @Test
    void validatorRejectsAConsoleModeOutsideTheEnumeration() {
        assertRejected(b -> b.withObjectProperty("serial").put("mode", "file"), "/serial/mode");
    }

    @Test
    void theFakeServerAnswersWithTheDocumentedResponseBodies() {
        assertConforms("VmmPingResponse", FakeApiServer.PING);
        assertConforms("VmInfo", FakeApiServer.INFO);
        assertConforms("VmCounters", FakeApiServer.COUNTERS);
        assertConforms("PciDeviceInfo", FakeApiServer.PCI_DEVICE);
        assertEquals(Optional.of("VmInfo"), doc.responseSchema("/vm.info", "GET"));
        assertEquals(Optional.of("PciDeviceInfo"), doc.responseSchema("/vm.add-fs", "PUT"));
    }

    /** Sends every request the driver can make for {@code pod} and returns them as received. */
    private List<Request> driveEveryOperation(VmSpec pod) throws IOException {
        try (FakeApiServer server = new FakeApiServer(dir.resolve("ch-api.sock"));
                FileInputStream tapQueue0 = new FileInputStream("/dev/null");
                FileInputStream tapQueue1 = new FileInputStream("/dev/null")) {
            CloudHypervisorApi api = new CloudHypervisorApi(pod.name(),
                    new UnixHttpClient(server.socket(), Duration.ofSeconds(5)), dir.resolve("ch.log"));
            api.ping();
            api.create(VmConfigMapping.vmConfig(pod, CMDLINE, PodShapes.PMEM));
            api.create(VmConfigMapping.vmConfig(pod, CMDLINE, PodShapes.VIRTIO_BLK));
            api.boot();
            api.info();
            for (VmSpec.FsShare share : pod.shares()) {
                api.addFs(VmConfigMapping.fs(share));
            }
            VmSpec.NetDevice nic = new VmSpec.NetDevice("tap9", "02:00:00:00:09:01");
            api.addNet(VmConfigMapping.net(nic), List.of());
            api.addNet(VmConfigMapping.netFromFds(nic, 2), List.of(tapQueue0.getFD(), tapQueue1.getFD()));
            api.addFs(VmConfigMapping.fs(new VmSpec.FsShare("late", dir.resolve("late.sock"))));
            api.addDisk(VmConfigMapping.disk(dir.resolve("extra.raw"), false, "extra"));
            api.resize(VmConfigMapping.resize(pod.vcpus(), pod.memoryMiB() * 2));
            api.counters();
            api.shutdown();
            api.powerButton();
            api.shutdownVmm();
            return server.requests();
        } catch (VmmException e) {
            throw new AssertionError("the fake server refused a request: " + e.getMessage(), e);
        }
    }

    private static List<String> violations(Request r) {
        String path = r.target().substring(Endpoint.API_ROOT.length());
        String call = r.method() + " " + path;
        if (!doc.hasOperation(path, r.method())) {
            return List.of(call + ": no such operation in the document");
        }
        Optional<String> schema = doc.requestSchema(path, r.method());
        if (r.body() == null) {
            return schema.isPresent() && doc.requestBodyRequired(path, r.method())
                    ? List.of(call + ": sent without the " + schema.get() + " body the document requires")
                    : List.of();
        }
        if (schema.isEmpty()) {
            return List.of(call + ": sent a body, the document takes none (Cloud Hypervisor answers 400)");
        }
        return doc.validate(schema.get(), r.body()).stream().map(v -> call + " " + schema.get() + ": " + v).toList();
    }

    private static void assertRejected(Consumer<ObjectNode> breakIt, String mentioning) {
        ObjectNode body;
        try {
            body = (ObjectNode) JSON.readTree(ApiJson.write(VmConfigMapping.vmConfig(PodShapes.pod("p", 2, 256, 1, 1),
                    CMDLINE, PodShapes.PMEM)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(List.of(), doc.validate("VmConfig", body.toString()), "the unbroken body must conform");
        breakIt.accept(body);
        List<String> errors = doc.validate("VmConfig", body.toString());
        assertFalse(errors.isEmpty(), "accepted " + body);
        assertTrue(errors.stream().anyMatch(e -> e.contains(mentioning)), errors.toString());
    }

    private static void assertConforms(String schema, String json) {
        assertEquals(List.of(), doc.validate(schema, json), schema);
    }
}
