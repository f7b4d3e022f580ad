package io.podvisor.shim.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.hypervisor.net.GuestNetwork;
import io.podvisor.proto.agent.v1.ConfigureNetworkRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PodNetworkingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void netnsIsTheNetworkNamespacePathOfTheSandboxSpec() throws Exception {
        var spec = JSON.readTree("""
                {"linux": {"namespaces": [{"type": "pid"}, {"type": "ipc", "path": "/proc/1/ns/ipc"},
                 {"type": "network", "path": "/var/run/netns/cni-1234"}]}}""");
        assertEquals(Optional.of(Path.of("/var/run/netns/cni-1234")), PodNetworking.netnsOf(spec));
    }

    @Test
    void aNewNetworkNamespaceOrNoneMeansNoPodNetwork() throws Exception {
        assertTrue(PodNetworking.netnsOf(JSON.readTree("""
                {"linux": {"namespaces": [{"type": "network"}]}}""")).isEmpty());
        assertTrue(PodNetworking.netnsOf(JSON.readTree("{}")).isEmpty());
    }

    @Test
    void guestRequestCarriesTheCniAddressRoutesMtuAndHostname() {
        GuestNetwork guest = new GuestNetwork("0a:58:0a:58:00:05", "10.88.0.5", 16, "10.88.0.1",
                List.of(new GuestNetwork.Route("0.0.0.0/0", "10.88.0.1")), 1500);
        ConfigureNetworkRequest request = PodNetworking.request(guest, "web-1", null);
        assertEquals("0a:58:0a:58:00:05", request.getMac());
        assertEquals("", request.getNewMac());
        assertEquals("10.88.0.5/16", request.getAddress());
        assertEquals(1500, request.getMtu());
        assertEquals("web-1", request.getHostname());
        assertEquals("0.0.0.0/0", request.getRoutes(0).getDestination());
        assertEquals("10.88.0.1", request.getRoutes(0).getGateway());
    }

    @Test
    void aWarmVmsNicIsFoundByItsPlaceholderMacAndGivenTheCniInterfaces() {
        GuestNetwork guest = new GuestNetwork("0a:58:0a:58:00:05", "10.88.0.5", 16, "10.88.0.1", List.of(), 1500);
        ConfigureNetworkRequest request = PodNetworking.request(guest, "web-1", "02:11:22:33:44:55");
        assertEquals("02:11:22:33:44:55", request.getMac());
        assertEquals("0a:58:0a:58:00:05", request.getNewMac());
    }
}
