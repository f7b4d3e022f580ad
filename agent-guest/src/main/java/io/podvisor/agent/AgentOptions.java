package io.podvisor.agent;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The agent's command line.
 *
 * @param listen where the gRPC server listens (default {@code vsock:1024}, any CID)
 * @param ready where to announce readiness; by default the host (CID 2) port 1025 when listening on vsock
 * @param guest whether this is the guest's agent: Shutdown then powers the machine off instead of exiting
 * @param runDir the agent's state: container bundles, console sockets, crun's state (default /run/podvisor)
 * @param cgroupRoot the cgroup2 mount under which containers get {@code podvisor/<id>} (default /sys/fs/cgroup)
 * @param crun the crun to run containers with (default: crun in the agent's PATH)
 */
record AgentOptions(Endpoint listen, Optional<Endpoint> ready, boolean guest, Path runDir, Path cgroupRoot,
        Optional<String> crun) {

    static final String USAGE = "usage: agent [--listen vsock:[CID:]PORT|unix:PATH] [--ready vsock:CID:PORT|unix:PATH|none]"
            + " [--guest] [--run-dir DIR] [--cgroup-root DIR] [--crun PATH]";

    static AgentOptions parse(String... args) {
        Endpoint listen = new Endpoint.Vsock(-1, 1024);
        String ready = null;
        boolean guest = false;
        Path runDir = Path.of("/run/podvisor");
        Path cgroupRoot = Path.of("/sys/fs/cgroup");
        Optional<String> crun = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--listen" -> listen = Endpoint.parse(value(args, ++i));
                case "--ready" -> ready = value(args, ++i);
                case "--guest" -> guest = true;
                case "--run-dir" -> runDir = Path.of(value(args, ++i));
                case "--cgroup-root" -> cgroupRoot = Path.of(value(args, ++i));
                case "--crun" -> crun = Optional.of(value(args, ++i));
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "\n" + USAGE);
            }
        }
        Optional<Endpoint> readyTarget;
        if (ready == null) {
            readyTarget = listen instanceof Endpoint.Vsock ? Optional.of(new Endpoint.Vsock(2, 1025)) : Optional.empty();
        } else {
            readyTarget = ready.equals("none") ? Optional.empty() : Optional.of(Endpoint.parse(ready));
        }
        return new AgentOptions(listen, readyTarget, guest, runDir, cgroupRoot, crun);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value\n" + USAGE);
        }
        return args[i];
    }
}
