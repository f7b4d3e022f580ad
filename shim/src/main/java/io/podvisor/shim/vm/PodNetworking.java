package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.net.GuestNetwork;
import io.podvisor.hypervisor.net.PodNetwork;
import io.podvisor.hypervisor.net.WarmTap;
import io.podvisor.proto.agent.v1.ConfigureNetworkRequest;
import io.podvisor.proto.agent.v1.Route;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.AgentException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Gives a pod VM the network CNI set up for the pod: the VMM joins the pod's network namespace
 * (the sandbox spec's network namespace path) with a TAP wired to the CNI interface, and the agent
 * puts the CNI address, routes, MTU and host name on the guest NIC. A sandbox spec without a
 * network namespace path (e.g. {@code ctr run}) gives a VM without a NIC.
 */
final class PodNetworking {
    private static final System.Logger LOG = System.getLogger(PodNetworking.class.getName());

    private final String podId;
    private final PodNetwork network;
    private final String hostname;

    private PodNetworking(String podId, PodNetwork network, String hostname) {
        this.podId = podId;
        this.network = network;
        this.hostname = hostname;
    }

    /** The network namespace path of an OCI spec's {@code linux.namespaces}, if it names one. */
    static Optional<Path> netnsOf(JsonNode spec) {
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            String path = namespace.path("path").asText("");
            if (namespace.path("type").asText().equals("network") && !path.isEmpty()) {
                return Optional.of(Path.of(path));
            }
        }
        return Optional.empty();
    }

    /** Wires the TAP in the sandbox's network namespace; empty when the spec names none. */
    static Optional<PodNetworking> attach(String podId, JsonNode sandboxSpec) throws VmmException {
        Optional<Path> netns = netnsOf(sandboxSpec);
        if (netns.isEmpty()) {
            return Optional.empty();
        }
        PodNetwork network = PodNetwork.attach(netns.get(), podId);
        LOG.log(System.Logger.Level.INFO, "pod {0}: TAP {1} wired to {2} ({3}) in {4}", podId, PodNetwork.TAP,
                network.cniInterface(), network.guest().cidr(), netns.get());
        return Optional.of(new PodNetworking(podId, network, sandboxSpec.path("hostname").asText("")));
    }

    /** Takes over a warm VM's TAP for the pod, in the sandbox's network namespace (which the caller checked exists). */
    static PodNetworking adopt(String podId, WarmTap tap, Path netns, JsonNode sandboxSpec) throws VmmException {
        PodNetwork network = PodNetwork.adopt(tap, netns, podId);
        LOG.log(System.Logger.Level.INFO, "pod {0}: warm VM''s TAP {1} moved into {2}, wired to {3} ({4})", podId,
                PodNetwork.TAP, netns, network.cniInterface(), network.guest().cidr());
        return new PodNetworking(podId, network, sandboxSpec.path("hostname").asText(""));
    }

    /** The VMM's side: where it runs and the NIC it gets. */
    Path netns() {
        return network.netns();
    }

    List<VmSpec.NetDevice> devices() {
        return List.of(network.device());
    }

    /**
     * The guest's side, once the agent answers; {@code placeholderMac} is a warm VM's NIC's MAC until then (null for a
     * VM booted with the CNI interface's).
     */
    void configureGuest(AgentClient agent, String placeholderMac) throws AgentException {
        agent.configureNetwork(request(network.guest(), hostname, placeholderMac));
    }

    static ConfigureNetworkRequest request(GuestNetwork guest, String hostname, String placeholderMac) {
        ConfigureNetworkRequest.Builder request = ConfigureNetworkRequest.newBuilder()
                .setMac(placeholderMac == null ? guest.mac() : placeholderMac)
                .setNewMac(placeholderMac == null ? "" : guest.mac())
                .setAddress(guest.cidr())
                .setMtu(guest.mtu())
                .setHostname(hostname);
        for (GuestNetwork.Route route : guest.routes()) {
            request.addRoutes(Route.newBuilder().setDestination(route.destination()).setGateway(route.gateway()));
        }
        return request.build();
    }

    /**
     * Forwards the pod's host-side localhost into the guest, for kubectl port-forward. A node without
     * iptables (or netfilter NAT) still runs the pod; the shim's log says why port-forward cannot reach it.
     */
    Optional<PortForwarder> forwardPorts(AgentClient agent) {
        try {
            return Optional.of(PortForwarder.start(podId, network, agent));
        } catch (VmmException e) {
            LOG.log(System.Logger.Level.WARNING, "pod {0}: kubectl port-forward will not reach this pod: {1}",
                    podId, e.getMessage());
            return Optional.empty();
        }
    }

    /** Removes the TAP and the redirects; call it after the VMM has stopped. */
    void detach() {
        try {
            network.detach();
        } catch (VmmException e) {
            LOG.log(System.Logger.Level.WARNING, "pod {0}: cannot unwire its network: {1}", podId, e.getMessage());
        }
    }
}
