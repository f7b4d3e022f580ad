package io.podvisor.agent.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.podvisor.agent.process.ExecutableLookup;
import io.podvisor.proto.agent.v1.ConfigureNetworkRequest;
import io.podvisor.proto.agent.v1.Route;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configures a veth interface in a private network namespace with busybox's ip, as the agent does the guest's
 * NIC; the namespace's own sysfs (mounted from inside it) is where the interface is found by its MAC.
 */
class NetworkConfiguratorTest {

    private static final String MAC = "02:50:56:aa:bb:0c";

    @TempDir
    Path dir;

    private String namespace;
    private Path sys;
    private NetworkConfigurator configurator;

    @BeforeEach
    void createNamespace() throws Exception {
        namespace = "pvt-net-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        run("ip", "netns", "add", namespace);
        run("ip", "-n", namespace, "link", "add", "pvt0", "type", "veth", "peer", "name", "pvt1");
        run("ip", "-n", namespace, "link", "set", "pvt0", "address", MAC);
        run("ip", "-n", namespace, "link", "set", "pvt1", "up");
        sys = Files.createDirectories(dir.resolve("sys"));
        run("nsenter", "--net=/run/netns/" + namespace, "mount", "-t", "sysfs", "sysfs", sys.toString());
        String ip = ExecutableLookup.findForAgent("ip").orElseThrow();
        configurator = new NetworkConfigurator(List.of(ip, "netns", "exec", namespace, "/bin/busybox", "ip"),
                sys.resolve("class/net"), dir.resolve("hostname"));
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        run("umount", sys.toString());
        run("ip", "netns", "del", namespace);
    }

    @Test
    void configuresAddressMtuRoutesAndHostname() throws Exception {
        ConfigureNetworkRequest request = ConfigureNetworkRequest.newBuilder()
                .setMac(MAC.toUpperCase()).setAddress("10.99.0.5/16").setMtu(1400)
                .addRoutes(Route.newBuilder().setDestination("0.0.0.0/0").setGateway("10.99.0.1"))
                .addRoutes(Route.newBuilder().setDestination("10.100.0.0/16"))
                .setHostname("pod-a").build();

        configurator.configure(request);
        configurator.configure(request);

        String link = run("ip", "-n", namespace, "-o", "link", "show", "pvt0");
        assertTrue(link.contains("mtu 1400") && link.contains(",UP"), link);
        String addresses = run("ip", "-n", namespace, "-o", "-4", "addr", "show", "dev", "pvt0");
        assertEquals(1, addresses.lines().count(), addresses);
        assertTrue(addresses.contains("inet 10.99.0.5/16"), addresses);
        String routes = run("ip", "-n", namespace, "route");
        assertTrue(routes.contains("default via 10.99.0.1 dev pvt0"), routes);
        assertTrue(routes.contains("10.100.0.0/16 dev pvt0 scope link"), routes);
        assertEquals("pod-a", Files.readString(dir.resolve("hostname")));
    }

    @Test
    void aWarmVmsPlaceholderMacIsReplacedByThePodsBeforeTheInterfaceComesUp() throws Exception {
        configurator.configure(ConfigureNetworkRequest.newBuilder()
                .setMac(MAC).setNewMac("0A:58:0A:63:00:07").setAddress("10.99.0.7/16").build());

        String link = run("ip", "-n", namespace, "-o", "link", "show", "pvt0");
        assertTrue(link.contains("link/ether 0a:58:0a:63:00:07") && link.contains(",UP"), link);
        assertTrue(run("ip", "-n", namespace, "-o", "-4", "addr", "show", "dev", "pvt0").contains("10.99.0.7/16"));
    }

    @Test
    void unknownMacIsNotFoundAndListsTheInterfaces() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> configurator.configure(
                ConfigureNetworkRequest.newBuilder().setMac("02:00:00:00:00:99").setAddress("10.0.0.2/24").build()));

        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getMessage().contains("02:00:00:00:00:99") && e.getMessage().contains("pvt0 " + MAC),
                e.getMessage());
    }

    @Test
    void malformedRequestIsInvalidArgument() {
        for (ConfigureNetworkRequest bad : List.of(
                ConfigureNetworkRequest.newBuilder().setMac("02:00:00:00:00").build(),
                ConfigureNetworkRequest.newBuilder().setMac(MAC).setAddress("10.0.0.2").build(),
                ConfigureNetworkRequest.newBuilder().setMac(MAC)
                        .addRoutes(Route.newBuilder().setDestination("default")).build(),
                ConfigureNetworkRequest.newBuilder().setMac(MAC).setHostname("bad host").build(),
                ConfigureNetworkRequest.newBuilder().setMac(MAC).setNewMac("02:00").build())) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> configurator.configure(bad));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getMessage());
        }
    }

    @Test
    void failingIpCommandIsReportedWithItsMessage() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> configurator.configure(
                ConfigureNetworkRequest.newBuilder().setMac(MAC).setAddress("10.99.0.5/16")
                        .addRoutes(Route.newBuilder().setDestination("0.0.0.0/0").setGateway("192.168.77.1"))
                        .build()));

        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getMessage().contains("route to 0.0.0.0/0"), e.getMessage());
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
