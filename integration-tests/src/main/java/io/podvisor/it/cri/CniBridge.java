package io.podvisor.it.cri;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A CNI bridge + host-local network for one private containerd. The bridge name, network name and
 * subnet are drawn per test run so that parallel runs on one host do not collide.
 */
public record CniBridge(String network, String bridge, String subnetPrefix) {
    private static final Path HOST_LOCAL_STATE = Path.of("/var/lib/cni/networks");

    /** Writes the conflist into {@code confDir} (the harness's CNI conf dir). */
    public static CniBridge write(Path confDir) throws IOException {
        return write(confDir, false);
    }

    /**
     * As {@link #write(Path)}; with {@code hostPorts}, the chain also has the portmap plugin, so that a pod's
     * port mappings (CRI {@code PortMapping.host_port}) forward the host's ports to the pod IP.
     */
    public static CniBridge write(Path confDir, boolean hostPorts) throws IOException {
        int n = ThreadLocalRandom.current().nextInt(1, 250);
        int m = ThreadLocalRandom.current().nextInt(1, 250);
        String suffix = Integer.toString(n * 256 + m, 36);
        CniBridge cni = new CniBridge("podvisor-it-" + suffix, "pvit" + suffix, "10.2" + (n % 40 + 10) + "." + m);
        Files.createDirectories(confDir);
        Files.writeString(confDir.resolve("10-" + cni.network() + ".conflist"), """
                {
                  "cniVersion": "1.0.0",
                  "name": "%s",
                  "plugins": [
                    {
                      "type": "bridge",
                      "bridge": "%s",
                      "isGateway": true,
                      "ipMasq": false,
                      "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": "%s.0/24"}]],
                        "routes": [{"dst": "0.0.0.0/0"}]
                      }
                    }%s
                  ]
                }
                """.formatted(cni.network(), cni.bridge(), cni.subnetPrefix(), hostPorts ? """
                ,
                    {
                      "type": "portmap",
                      "capabilities": {"portMappings": true}
                    }""" : ""));
        return cni;
    }

    /**
     * Deletes what CNI leaves on the host when the last pod has gone: the bridge and host-local's
     * state directory for the network.
     */
    public void remove() throws IOException, InterruptedException {
        new ProcessBuilder("ip", "link", "delete", bridge).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        Path ipamState = HOST_LOCAL_STATE.resolve(network);
        if (Files.isDirectory(ipamState)) {
            try (Stream<Path> files = Files.walk(ipamState)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }
}
