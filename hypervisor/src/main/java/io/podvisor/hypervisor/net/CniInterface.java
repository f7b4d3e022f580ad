package io.podvisor.hypervisor.net;

import com.fasterxml.jackson.databind.JsonNode;
import io.podvisor.hypervisor.VmmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The interface CNI configured in a pod's network namespace, read from {@code ip -j addr show}
 * and {@code ip -j -4 route show table main}: the Ethernet interface with an IPv4 address (the
 * one with the default route if there are several).
 */
record CniInterface(String name, GuestNetwork network) {

    static CniInterface find(String podId, Path netns, JsonNode links, JsonNode routes, String ignoredTap)
            throws VmmException {
        List<JsonNode> candidates = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (JsonNode link : links) {
            String name = link.path("ifname").asText();
            names.add(name);
            if (link.path("link_type").asText().equals("ether") && !name.equals(ignoredTap) && ipv4(link) != null) {
                candidates.add(link);
            }
        }
        if (candidates.size() > 1) {
            candidates.removeIf(link -> defaultGateway(routes, link.path("ifname").asText()) == null);
        }
        if (candidates.isEmpty()) {
            throw new VmmException("pod " + podId + ": no Ethernet interface with an IPv4 address in network namespace "
                    + netns + " (interfaces: " + String.join(", ", names) + "); did the CNI plugin configure the pod network?");
        }
        if (candidates.size() > 1) {
            throw new VmmException("pod " + podId + ": several interfaces with IPv4 addresses and default routes in network"
                    + " namespace " + netns + " (" + candidates.stream().map(l -> l.path("ifname").asText()).toList()
                    + "); a pod VM takes over exactly one");
        }
        JsonNode link = candidates.getFirst();
        String name = link.path("ifname").asText();
        JsonNode address = ipv4(link);
        String gateway = defaultGateway(routes, name);
        return new CniInterface(name, new GuestNetwork(link.path("address").asText().toLowerCase(),
                address.path("local").asText(), address.path("prefixlen").asInt(),
                gateway == null ? "" : gateway, routesOf(routes, name), link.path("mtu").asInt()));
    }

    /** The first IPv4 address that is not host-scoped, or null. */
    private static JsonNode ipv4(JsonNode link) {
        for (JsonNode address : link.path("addr_info")) {
            if (address.path("family").asText().equals("inet") && !address.path("scope").asText().equals("host")) {
                return address;
            }
        }
        return null;
    }

    private static String defaultGateway(JsonNode routes, String device) {
        for (JsonNode route : routes) {
            if (route.path("dst").asText().equals("default") && route.path("dev").asText().equals(device)
                    && route.hasNonNull("gateway")) {
                return route.path("gateway").asText();
            }
        }
        return null;
    }

    /**
     * The device's routes, on-link ones first (a gateway must be reachable before a route uses
     * it), without the subnet route the kernel adds for the address itself.
     */
    private static List<GuestNetwork.Route> routesOf(JsonNode routes, String device) {
        List<GuestNetwork.Route> out = new ArrayList<>();
        for (JsonNode route : routes) {
            if (!route.path("dev").asText().equals(device) || route.path("protocol").asText().equals("kernel")) {
                continue;
            }
            String dst = route.path("dst").asText();
            dst = dst.equals("default") ? "0.0.0.0/0" : dst.contains("/") ? dst : dst + "/32";
            out.add(new GuestNetwork.Route(dst, route.path("gateway").asText("")));
        }
        out.sort(Comparator.comparing(r -> !r.gateway().isEmpty()));
        return out;
    }
}
