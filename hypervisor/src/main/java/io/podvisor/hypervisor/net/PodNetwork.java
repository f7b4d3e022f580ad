package io.podvisor.hypervisor.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A pod VM's network, wired as Kata-style runtimes do it, all inside the pod's network namespace:
 * a TAP device for the VMM, joined to the interface CNI configured by a tc ingress filter on each
 * that redirects every frame to the other. The guest NIC takes the CNI interface's MAC and the
 * agent gives it the pod IP and routes ({@link #guest()}), so the pod IP CNI reported is the VM's.
 * The VMM must run in the same namespace ({@link VmSpec#netns()}).
 */
public final class PodNetwork {
    /** The TAP device's name, the same in every pod's namespace. */
    public static final String TAP = "tap0_pv";

    /** The chain in the pod namespace's nat table that sends loopback TCP to the pod's port forwarder. */
    public static final String PORT_FORWARD_CHAIN = "PODVISOR-PORT-FORWARD";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String podId;
    private final Path netns;
    private final CniInterface cni;

    private PodNetwork(String podId, Path netns, CniInterface cni) {
        this.podId = podId;
        this.netns = netns;
        this.cni = cni;
    }

    /**
     * Finds the CNI interface in {@code netns} (e.g. /var/run/netns/cni-... or /proc/PID/ns/net),
     * creates the TAP device with the same MTU and redirects traffic both ways. What an earlier
     * attach to the same namespace left is replaced.
     */
    public static PodNetwork attach(Path netns, String podId) throws VmmException {
        // IFF_TAP | IFF_NO_PI (ip's default) | IFF_VNET_HDR, as QEMU opens it.
        return connect(netns, podId, ns -> ns.batch("ip", List.of("tuntap add dev " + TAP + " mode tap vnet_hdr")));
    }

    /**
     * Takes over the TAP of a VM booted before its pod ({@link WarmTap}): moves it from the warm VM's own namespace
     * into the pod's (the VMM keeps its file descriptor) and wires it as {@link #attach} does. The guest NIC still
     * has the warm VM's placeholder MAC until the agent gives it the CNI interface's.
     */
    public static PodNetwork adopt(WarmTap tap, Path netns, String podId) throws VmmException {
        return connect(netns, podId, ns -> tap.moveTo(netns));
    }

    /** Puts the TAP device into the pod's namespace. */
    private interface TapPlacement {
        void place(IpRoute2 ns) throws VmmException;
    }

    private static PodNetwork connect(Path netns, String podId, TapPlacement tap) throws VmmException {
        if (!Files.exists(netns)) {
            throw new VmmException("pod " + podId + ": network namespace " + netns
                    + " does not exist; was the pod's network set up (CNI) and not yet torn down?");
        }
        IpRoute2 ns = new IpRoute2(podId, netns);
        PodNetwork network = prepare(podId, netns, ns);
        try {
            tap.place(ns);
            network.wire(ns);
        } catch (VmmException e) {
            try {
                network.detach();
            } catch (VmmException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        return network;
    }

    /** Finds the CNI interface and removes what an earlier attach to the same namespace left. */
    private static PodNetwork prepare(String podId, Path netns, IpRoute2 ns) throws VmmException {
        JsonNode links = json(podId, ns.ip("-j", "addr", "show"));
        JsonNode routes = json(podId, ns.ip("-j", "-4", "route", "show", "table", "main"));
        CniInterface cni = CniInterface.find(podId, netns, links, routes, TAP);
        unwire(podId, ns, links);
        return new PodNetwork(podId, netns, cni);
    }

    /** The TAP, in the pod's namespace already, takes the CNI interface's MTU and swaps every frame with it. */
    private void wire(IpRoute2 ns) throws VmmException {
        ns.batch("ip", List.of("link set dev " + TAP + " mtu " + cni.network().mtu() + " up"));
        ns.batch("tc", List.of(
                "qdisc add dev " + cni.name() + " ingress",
                "qdisc add dev " + TAP + " ingress",
                redirect(cni.name(), TAP),
                redirect(TAP, cni.name())));
    }

    private static String redirect(String from, String to) {
        return "filter add dev " + from + " parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev " + to;
    }

    /**
     * Sends every TCP connection made to 127.0.0.1 in the pod's namespace, whatever its port, to
     * {@code listenerPort} on 127.0.0.1 there: a nat OUTPUT REDIRECT in a chain of ours, so the listener
     * reads the port asked for as the connection's original destination. Only containerd's port
     * forwarding dials there: the VM's traffic passes through the namespace by tc redirects, which
     * netfilter never sees. Replaces what an earlier call in the same namespace set.
     */
    public void redirectLoopbackTcp(int listenerPort) throws VmmException {
        IpRoute2 ns = new IpRoute2(podId, netns);
        ns.iptablesRestore("*nat\n"
                + ":" + PORT_FORWARD_CHAIN + " - [0:0]\n"
                + "-A " + PORT_FORWARD_CHAIN + " -d 127.0.0.1/32 -o lo -p tcp -j REDIRECT --to-ports " + listenerPort + "\n"
                + "COMMIT\n");
        String[] jump = {"-w", "5", "-t", "nat", "-C", "OUTPUT", "-j", PORT_FORWARD_CHAIN};
        if (!ns.iptablesSucceeds(jump)) {
            jump[4] = "-A";
            ns.iptables(jump);
        }
    }

    /** The VMM's network device: the TAP, with the CNI interface's MAC for the guest NIC. */
    public VmSpec.NetDevice device() {
        return new VmSpec.NetDevice(TAP, cni.network().mac());
    }

    /** What the agent configures in the guest. */
    public GuestNetwork guest() {
        return cni.network();
    }

    /** The CNI interface the TAP is joined to, e.g. "eth0". */
    public String cniInterface() {
        return cni.name();
    }

    public Path netns() {
        return netns;
    }

    /**
     * Removes the TAP device and the ingress qdiscs (with their filters). Call it after the VMM
     * has stopped. A namespace that is gone already is fine.
     */
    public void detach() throws VmmException {
        detach(netns, podId);
    }

    /** What {@link #detach()} does, for a namespace whose PodNetwork is gone (the shim was killed). */
    public static void detach(Path netns, String podId) throws VmmException {
        if (!Files.exists(netns)) {
            return;
        }
        IpRoute2 ns = new IpRoute2(podId, netns);
        unwire(podId, ns, json(podId, ns.ip("-j", "link", "show")));
    }

    /** Removes the ingress qdiscs that redirect to the TAP, then the TAP. */
    private static void unwire(String podId, IpRoute2 ns, JsonNode links) throws VmmException {
        boolean tapExists = false;
        for (JsonNode link : links) {
            String name = link.path("ifname").asText();
            if (name.equals(TAP)) {
                tapExists = true;
            } else if (redirectsToTap(podId, ns, name)) {
                ns.tc("qdisc", "del", "dev", name, "ingress");
            }
        }
        if (tapExists) {
            ns.ip("link", "del", "dev", TAP);
        }
    }

    private static boolean redirectsToTap(String podId, IpRoute2 ns, String device) throws VmmException {
        for (JsonNode filter : json(podId, ns.tc("-j", "filter", "show", "dev", device, "ingress"))) {
            for (JsonNode action : filter.path("options").path("actions")) {
                if (action.path("kind").asText().equals("mirred") && action.path("to_dev").asText().equals(TAP)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static JsonNode json(String podId, String text) throws VmmException {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new VmmException("pod " + podId + ": cannot parse iproute2's JSON output: " + e.getMessage()
                    + "\n" + text, e);
        }
    }
}
