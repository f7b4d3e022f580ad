package io.podvisor.hypervisor.net;

import java.util.List;
import java.util.Objects;

/**
 * What the guest agent configures on the guest NIC so that the VM takes over the pod's network
 * identity: the CNI interface's MAC, IPv4 address, MTU and routes.
 *
 * @param mac          the NIC's MAC, lower case, e.g. "0a:58:0a:58:00:05"
 * @param address      IPv4 address, e.g. "10.88.0.5"
 * @param prefixLength its prefix length, e.g. 16
 * @param gateway      the default route's gateway, or "" if there is no default route
 * @param routes       the routes to add after the address, on-link ones first; the subnet route
 *                     the kernel derives from the address is not among them
 * @param mtu          the interface MTU
 */
public record GuestNetwork(String mac, String address, int prefixLength, String gateway, List<Route> routes, int mtu) {

    public GuestNetwork {
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(gateway, "gateway");
        routes = List.copyOf(routes);
    }

    /** The address in CIDR notation, e.g. "10.88.0.5/16". */
    public String cidr() {
        return address + "/" + prefixLength;
    }

    /**
     * One IPv4 route.
     *
     * @param destination CIDR, "0.0.0.0/0" for the default route
     * @param gateway     next hop, or "" for an on-link route
     */
    public record Route(String destination, String gateway) {
        public Route {
            Objects.requireNonNull(destination, "destination");
            Objects.requireNonNull(gateway, "gateway");
        }
    }
}
