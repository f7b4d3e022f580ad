package io.podvisor.hypervisor.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real network namespaces, veth pairs, TAP devices and tc filters (the tests run as root). */
@Timeout(60)
class PodNetworkTest {
    private static final String MAC = "0a:58:0a:fe:00:02";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void attachReadsTheCniInterfaceAndJoinsATapToItBothWays() throws Exception {
        try (TestNetns ns = TestNetns.withEth0(MAC)) {
            PodNetwork network = PodNetwork.attach(ns.path, "pod-n");

            assertEquals("eth0", network.cniInterface());
            assertEquals(new VmSpec.NetDevice("tap0_pv", MAC), network.device());
            assertEquals(new GuestNetwork(MAC, ns.address, 28, ns.gateway, List.of(
                            new GuestNetwork.Route("198.51.100.7/32", ""),
                            new GuestNetwork.Route("0.0.0.0/0", ns.gateway),
                            new GuestNetwork.Route("192.0.2.0/24", ns.gateway)), 1450),
                    network.guest());

            String tap = ns.ip("-d", "link", "show", "tap0_pv");
            assertTrue(tap.contains("tun type tap pi off vnet_hdr on persist on"), tap);
            assertTrue(tap.contains("mtu 1450") && tap.contains(",UP>"), tap);
            assertEquals("tap0_pv", redirectTarget(ns, "eth0"));
            assertEquals("eth0", redirectTarget(ns, "tap0_pv"));
            assertTrue(ns.tc("qdisc", "show", "dev", "eth0").contains("qdisc ingress ffff:"));
        }
    }

    @Test
    void framesForThePodIpGoToTheTapInsteadOfTheNamespacesOwnStack() throws Exception {
        try (TestNetns ns = TestNetns.withEth0(MAC)) {
            PodNetwork.attach(ns.path, "pod-n");
            try (DatagramSocket socket = new DatagramSocket()) {
                // The host must resolve the pod IP first: its ARP request is what eth0 receives.
                socket.send(new DatagramPacket(new byte[1], 1, InetAddress.getByName(ns.address), 9));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (redirectedPackets(ns, "eth0") == 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            assertTrue(redirectedPackets(ns, "eth0") > 0, "nothing the host sent was redirected to the TAP");
            String neighbour = TestNetns.run("ip", "neigh", "show", ns.address, "dev", ns.hostVeth);
            assertFalse(neighbour.contains("REACHABLE") || neighbour.contains(MAC), "the namespace answered: " + neighbour);
        }
    }

    @Test
    void detachLeavesNoTapNoQdiscAndTheCniSetupAsItWas() throws Exception {
        try (TestNetns ns = TestNetns.withEth0(MAC)) {
            String qdiscsBefore = ns.tc("qdisc", "show");
            PodNetwork network = PodNetwork.attach(ns.path, "pod-n");

            network.detach();

            assertEquals(qdiscsBefore, ns.tc("qdisc", "show"));
            assertFalse(ns.ip("link", "show").contains("tap0_pv"));
            assertTrue(ns.ip("addr", "show", "eth0").contains(ns.address + "/28"));
            network.detach(); // twice: nothing left to remove, no error
        }
    }

    @Test
    void attachAgainAfterAKilledShimReplacesTheLeftovers() throws Exception {
        try (TestNetns ns = TestNetns.withEth0(MAC)) {
            PodNetwork.attach(ns.path, "pod-n");

            PodNetwork again = PodNetwork.attach(ns.path, "pod-n");

            assertEquals(MAC, again.guest().mac());
            assertEquals(1, redirectFilters(ns, "eth0").size());
            PodNetwork.detach(ns.path, "pod-n");
            assertFalse(ns.ip("link", "show").contains("tap0_pv"));
            assertFalse(ns.tc("qdisc", "show", "dev", "eth0").contains("ingress"));
        }
    }

    @Test
    void aNamespaceGivenAsProcPidPathWorks() throws Exception {
        try (TestNetns ns = TestNetns.withEth0(MAC)) {
            Process holder = new ProcessBuilder("nsenter", "--net=" + ns.path, "--", "sleep", "60").start();
            try {
                Path procPath = Path.of("/proc/" + holder.pid() + "/ns/net");
                awaitNamespace(procPath, ns.path);
                PodNetwork network = PodNetwork.attach(procPath, "pod-n");
                assertTrue(ns.ip("link", "show").contains("tap0_pv"));
                network.detach();
                assertFalse(ns.ip("link", "show").contains("tap0_pv"));
            } finally {
                holder.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aMissingNamespaceIsNamed() {
        Path missing = Path.of("/var/run/netns/pvn-" + ProcessHandle.current().pid() + "-missing");
        VmmException e = assertThrows(VmmException.class, () -> PodNetwork.attach(missing, "pod-n"));
        assertEquals("pod pod-n: network namespace " + missing
                + " does not exist; was the pod's network set up (CNI) and not yet torn down?", e.getMessage());
    }

    @Test
    void aNamespaceWithoutAnIpv4InterfaceIsRefusedAndLeftUntouched() throws Exception {
        try (TestNetns ns = TestNetns.empty()) {
            ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
            ns.ip("link", "set", "eth0", "up");
            VmmException e = assertThrows(VmmException.class, () -> PodNetwork.attach(ns.path, "pod-n"));
            assertTrue(e.getMessage().startsWith("pod pod-n: no Ethernet interface with an IPv4 address in network namespace "
                    + ns.path + " (interfaces: lo, "), e.getMessage());
            assertTrue(e.getMessage().endsWith("); did the CNI plugin configure the pod network?"), e.getMessage());
            assertFalse(ns.ip("link", "show").contains("tap0_pv"));
        }
    }

    private static String redirectTarget(TestNetns ns, String device) throws Exception {
        List<JsonNode> redirects = redirectFilters(ns, device);
        assertEquals(1, redirects.size(), device + ": " + redirects);
        JsonNode action = redirects.getFirst();
        assertEquals("redirect", action.path("mirred_action").asText());
        assertEquals("egress", action.path("direction").asText());
        return action.path("to_dev").asText();
    }

    private static List<JsonNode> redirectFilters(TestNetns ns, String device) throws Exception {
        return JSON.readTree(ns.tc("-s", "-j", "filter", "show", "dev", device, "ingress")).findValues("actions").stream()
                .flatMap(actions -> actions.valueStream()).filter(a -> a.path("kind").asText().equals("mirred")).toList();
    }

    private static long redirectedPackets(TestNetns ns, String device) throws Exception {
        return redirectFilters(ns, device).getFirst().path("stats").path("packets").asLong();
    }

    /** nsenter joins the namespace right after it starts; wait until /proc shows it has. */
    private static void awaitNamespace(Path procPath, Path expected) throws Exception {
        Object want = java.nio.file.Files.getAttribute(expected, "unix:ino");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!want.equals(java.nio.file.Files.getAttribute(procPath, "unix:ino"))) {
            assertTrue(System.nanoTime() < deadline, procPath + " never entered " + expected);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }
}
