package io.podvisor.hypervisor.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pod network namespace as a CNI bridge plugin leaves it: a veth pair, "eth0" inside with an
 * address, MTU and default route, the host end outside with the gateway address. Names carry this
 * JVM's pid so parallel runs do not collide; close deletes everything, also after a failure.
 */
final class TestNetns implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    final String name;
    final Path path;
    final String hostVeth;
    final String gateway;
    final String address;

    private TestNetns(int n) {
        long pid = ProcessHandle.current().pid();
        name = "pvn-" + pid + "-" + n;
        path = Path.of("/var/run/netns", name);
        hostVeth = "pvh" + pid + "x" + n;
        String subnet = "10.254." + (pid % 250) + ".";
        gateway = subnet + (16 * n + 1);
        address = subnet + (16 * n + 2);
    }

    /** An empty namespace: only lo. */
    static TestNetns empty() throws Exception {
        TestNetns ns = new TestNetns(COUNTER.incrementAndGet() % 15);
        run("ip", "netns", "add", ns.name);
        return ns;
    }

    /** A namespace with eth0 = {@code address}/28, MTU 1450, MAC {@code mac}, default route and one more. */
    static TestNetns withEth0(String mac) throws Exception {
        TestNetns ns = empty();
        try {
            run("ip", "link", "add", ns.hostVeth, "mtu", "1450", "type", "veth", "peer", "name", "eth0", "netns", ns.name);
            run("ip", "addr", "add", ns.gateway + "/28", "dev", ns.hostVeth);
            run("ip", "link", "set", ns.hostVeth, "up");
            ns.ip("link", "set", "lo", "up");
            ns.ip("link", "set", "eth0", "address", mac, "mtu", "1450", "up");
            ns.ip("addr", "add", ns.address + "/28", "dev", "eth0");
            ns.ip("route", "add", "default", "via", ns.gateway);
            ns.ip("route", "add", "192.0.2.0/24", "via", ns.gateway);
            ns.ip("route", "add", "198.51.100.7", "dev", "eth0");
        } catch (Exception | AssertionError e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** {@code ip -n NAME ARGS}, which must succeed; returns stdout. */
    String ip(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", name));
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    /** {@code tc -n NAME ARGS}, which must succeed; returns stdout. */
    String tc(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("tc", "-n", name));
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ":\n" + out);
        return out;
    }

    @Override
    public void close() throws Exception {
        new ProcessBuilder("ip", "netns", "del", name).redirectErrorStream(true).start().waitFor();
        new ProcessBuilder("ip", "link", "del", hostVeth).redirectErrorStream(true).start().waitFor();
    }
}
