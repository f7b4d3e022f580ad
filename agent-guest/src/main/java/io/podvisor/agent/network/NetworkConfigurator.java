package io.podvisor.agent.network;

import io.grpc.Status;
import io.podvisor.agent.os.Command;
import io.podvisor.proto.agent.v1.ConfigureNetworkRequest;
import io.podvisor.proto.agent.v1.Route;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Gives the guest the pod's network as CNI configured it on the host: finds the interface by its MAC in
 * sysfs, then sets its MTU, address, link state and routes with {@code ip} (busybox's in the guest), and
 * sets the hostname.
 */
public final class NetworkConfigurator {

    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");
    private static final Pattern IPV4_CIDR = Pattern.compile("(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3}\\.){3}\\d{1,3}");
    private static final Pattern IPV6_CIDR = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*/\\d{1,3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,62})");

    private final List<String> ip;
    private final Path sysClassNet;
    private final Path hostnameFile;

    /**
     * @param ip the command that runs {@code ip} (e.g. {@code [/sbin/ip]})
     * @param sysClassNet where interfaces are listed ({@code /sys/class/net})
     * @param hostnameFile where the hostname is set ({@code /proc/sys/kernel/hostname})
     */
    public NetworkConfigurator(List<String> ip, Path sysClassNet, Path hostnameFile) {
        this.ip = List.copyOf(ip);
        this.sysClassNet = sysClassNet;
        this.hostnameFile = hostnameFile;
    }

    public void configure(ConfigureNetworkRequest request) throws IOException {
        validate(request);
        String device = interfaceWithMac(request.getMac().toLowerCase(Locale.ROOT));
        if (!request.getNewMac().isEmpty()) {
            run("set the MAC of " + device, "link", "set", "dev", device, "address", request.getNewMac());
        }
        if (request.getMtu() > 0) {
            run("set the MTU of " + device, "link", "set", "dev", device, "mtu", Integer.toString(request.getMtu()));
        }
        if (!request.getAddress().isEmpty()) {
            run("clear the addresses of " + device, "addr", "flush", "dev", device);
            run("add " + request.getAddress() + " to " + device, "addr", "add", request.getAddress(), "dev", device);
        }
        run("bring " + device + " up", "link", "set", "dev", device, "up");
        for (Route route : request.getRoutesList()) {
            List<String> args = new ArrayList<>(List.of("route", "replace", route.getDestination()));
            if (!route.getGateway().isEmpty()) {
                args.addAll(List.of("via", route.getGateway()));
            }
            args.addAll(List.of("dev", device));
            run("add the route to " + route.getDestination(), args.toArray(String[]::new));
        }
        if (!request.getHostname().isEmpty()) {
            Files.writeString(hostnameFile, request.getHostname());
        }
    }

    private static void validate(ConfigureNetworkRequest request) {
        if (!MAC.matcher(request.getMac().toLowerCase(Locale.ROOT)).matches()) {
            throw invalid("mac \"" + request.getMac() + "\" is not a MAC address (aa:bb:cc:dd:ee:ff)");
        }
        if (!request.getNewMac().isEmpty() && !MAC.matcher(request.getNewMac().toLowerCase(Locale.ROOT)).matches()) {
            throw invalid("new_mac \"" + request.getNewMac() + "\" is not a MAC address (aa:bb:cc:dd:ee:ff)");
        }
        if (!request.getAddress().isEmpty() && !isCidr(request.getAddress())) {
            throw invalid("address \"" + request.getAddress() + "\" is not in CIDR form (e.g. 10.88.0.5/16)");
        }
        for (Route route : request.getRoutesList()) {
            if (!isCidr(route.getDestination())) {
                throw invalid("route destination \"" + route.getDestination() + "\" is not in CIDR form (e.g. 0.0.0.0/0)");
            }
            if (!route.getGateway().isEmpty() && !IPV4.matcher(route.getGateway()).matches()
                    && !IPV6.matcher(route.getGateway()).matches()) {
                throw invalid("route gateway \"" + route.getGateway() + "\" is not an IP address");
            }
        }
        if (!request.getHostname().isEmpty() && !HOSTNAME.matcher(request.getHostname()).matches()) {
            throw invalid("hostname \"" + request.getHostname() + "\" is not a valid host name");
        }
    }

    private static boolean isCidr(String text) {
        return IPV4_CIDR.matcher(text).matches() || IPV6_CIDR.matcher(text).matches();
    }

    private String interfaceWithMac(String mac) throws IOException {
        List<String> seen = new ArrayList<>();
        try (Stream<Path> interfaces = Files.list(sysClassNet)) {
            for (Path dir : interfaces.sorted().toList()) {
                String address;
                try {
                    address = Files.readString(dir.resolve("address")).strip().toLowerCase(Locale.ROOT);
                } catch (NoSuchFileException e) {
                    continue;
                }
                if (address.equals(mac)) {
                    return dir.getFileName().toString();
                }
                seen.add(dir.getFileName() + " " + address);
            }
        }
        throw Status.NOT_FOUND.withDescription("no guest network interface has MAC " + mac + " (the guest has: "
                + String.join(", ", seen) + "); is the VM's NIC given the pod interface's MAC?").asRuntimeException();
    }

    private void run(String what, String... args) throws IOException {
        List<String> argv = new ArrayList<>(ip);
        argv.addAll(List.of(args));
        Command.Result result = Command.run(argv);
        if (!result.succeeded()) {
            throw Status.FAILED_PRECONDITION.withDescription("cannot " + what + ": " + String.join(" ", argv)
                    + " failed (exit " + result.status().exitCode() + "): " + result.message()).asRuntimeException();
        }
    }

    private static RuntimeException invalid(String what) {
        return Status.INVALID_ARGUMENT.withDescription("ConfigureNetwork: " + what).asRuntimeException();
    }
}
