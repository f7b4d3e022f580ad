package io.podvisor.hypervisor.net;

import io.podvisor.hypervisor.VmSpec;
import io.podvisor.hypervisor.VmmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The TAP of a VM booted before its pod exists (the warm pool): it waits in a network namespace of the VM's own,
 * {@code /run/netns/NAME}, with a placeholder MAC, until {@link PodNetwork#adopt} moves it into the pod's namespace.
 * The VMM runs in that namespace, which lives on as long as the VMM does, so the file a closed WarmTap removes is
 * only the name.
 */
public final class WarmTap implements AutoCloseable {
    private static final Path NAMES = Path.of("/run/netns");
    private static final Path OWN = Path.of("/proc/self/ns/net");

    /** The VM's name, which names its namespace too. */
    private final String name;
    private final String mac;

    private WarmTap(String name, String mac) {
        this.name = name;
        this.mac = mac;
    }

    /** Creates namespace {@code name} ({@code /run/netns/NAME}) holding the TAP of VM {@code name}. */
    public static WarmTap create(String name) throws VmmException {
        new IpRoute2(name, OWN).ip("netns", "add", name);
        WarmTap tap = new WarmTap(name, placeholderMac());
        try {
            new IpRoute2(name, tap.netns()).batch("ip", List.of(
                    "tuntap add dev " + PodNetwork.TAP + " mode tap vnet_hdr",
                    "link set dev " + PodNetwork.TAP + " up"));
        } catch (VmmException e) {
            tap.close();
            throw e;
        }
        return tap;
    }

    /** Locally administered, unicast: 02:xx:xx:xx:xx:xx. */
    private static String placeholderMac() {
        byte[] bytes = new byte[5];
        ThreadLocalRandom.current().nextBytes(bytes);
        return "02:" + HexFormat.ofDelimiter(":").formatHex(bytes);
    }

    /** Where the VMM runs until its pod comes. */
    public Path netns() {
        return NAMES.resolve(name);
    }

    public VmSpec.NetDevice device() {
        return new VmSpec.NetDevice(PodNetwork.TAP, mac);
    }

    /** The MAC the guest NIC has until the agent gives it the pod's. */
    public String mac() {
        return mac;
    }

    /** Moves the TAP into {@code podNetns} and drops this namespace's name. */
    void moveTo(Path podNetns) throws VmmException {
        new IpRoute2(name, netns()).ip("link", "set", "dev", PodNetwork.TAP, "netns", podNetns.toString());
        close();
    }

    /** Drops the namespace's name; the TAP goes with the namespace once the VMM has exited. */
    @Override
    public void close() {
        forget(name);
    }

    /** What {@link #close()} does, for a warm VM whose process died. */
    public static void forget(String name) {
        if (!Files.exists(NAMES.resolve(name))) {
            return;
        }
        try {
            new IpRoute2(name, OWN).ip("netns", "del", name);
        } catch (VmmException e) {
            System.getLogger(WarmTap.class.getName()).log(System.Logger.Level.WARNING, e.getMessage());
        }
    }
}
