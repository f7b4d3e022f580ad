package io.podvisor.hypervisor.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.hypervisor.VmmException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The choice of interface and what is read from it, on `ip -j` output as iproute2 6.1 prints it. */
class CniInterfaceTest {
    private static final Path NS = Path.of("/var/run/netns/cni-1");
    private static final String LO = """
            {"ifindex":1,"ifname":"lo","mtu":65536,"link_type":"loopback","address":"00:00:00:00:00:00",
             "addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]}""";

    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    private static String link(String name, String mac, String address, int prefix) {
        return """
                {"ifindex":2,"ifname":"%s","mtu":1500,"link_type":"ether","address":"%s",
                 "addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"},
                              {"family":"inet","local":"%s","prefixlen":%d,"scope":"global"}]}"""
                .formatted(name, mac, address, prefix);
    }

    @Test
    void readsAddressMacMtuGatewayAndRoutesWithoutTheKernelsSubnetRoute() throws Exception {
        JsonNode links = json("[" + LO + "," + link("eth0", "0A:58:0A:58:00:05", "10.88.0.5", 16) + "]");
        JsonNode routes = json("""
                [{"dst":"default","gateway":"10.88.0.1","dev":"eth0","flags":[]},
                 {"dst":"10.88.0.0/16","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"10.88.0.5"},
                 {"dst":"169.254.1.1","dev":"eth0","scope":"link","flags":[]}]""");

        CniInterface cni = CniInterface.find("p", NS, links, routes, "tap0_pv");

        assertEquals("eth0", cni.name());
        assertEquals(new GuestNetwork("0a:58:0a:58:00:05", "10.88.0.5", 16, "10.88.0.1", List.of(
                new GuestNetwork.Route("169.254.1.1/32", ""),
                new GuestNetwork.Route("0.0.0.0/0", "10.88.0.1")), 1500), cni.network());
        assertEquals("10.88.0.5/16", cni.network().cidr());
    }

    @Test
    void ofSeveralInterfacesTheOneWithTheDefaultRouteWinsAndTheTapIsIgnored() throws Exception {
        JsonNode links = json("[" + LO + "," + link("net1", "02:00:00:00:00:01", "192.168.5.2", 24) + ","
                + link("eth0", "02:00:00:00:00:02", "10.1.0.2", 24) + ","
                + link("tap0_pv", "02:00:00:00:00:03", "10.9.9.9", 24) + "]");
        JsonNode routes = json("[{\"dst\":\"default\",\"gateway\":\"10.1.0.1\",\"dev\":\"eth0\"}]");
        assertEquals("eth0", CniInterface.find("p", NS, links, routes, "tap0_pv").name());
    }

    @Test
    void twoInterfacesWithDefaultRoutesAreAmbiguous() throws Exception {
        JsonNode links = json("[" + link("eth0", "02:00:00:00:00:01", "10.1.0.2", 24) + ","
                + link("eth1", "02:00:00:00:00:02", "10.2.0.2", 24) + "]");
        JsonNode routes = json("""
                [{"dst":"default","gateway":"10.1.0.1","dev":"eth0"},
                 {"dst":"default","gateway":"10.2.0.1","dev":"eth1","metric":100}]""");
        VmmException e = assertThrows(VmmException.class, () -> CniInterface.find("p", NS, links, routes, "tap0_pv"));
        assertTrue(e.getMessage().contains("[eth0, eth1]"), e.getMessage());
    }

    @Test
    void noDefaultRouteMeansNoGateway() throws Exception {
        JsonNode links = json("[" + link("eth0", "02:00:00:00:00:01", "10.1.0.2", 24) + "]");
        GuestNetwork network = CniInterface.find("p", NS, links, json("[]"), "tap0_pv").network();
        assertEquals("", network.gateway());
        assertEquals(List.of(), network.routes());
    }
}
