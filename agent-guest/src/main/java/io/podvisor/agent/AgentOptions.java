package io.podvisor.agent;

import java.util.Optional;

/**
 * The agent's command line.
 *
 * @param listen where the gRPC server listens (default {@code vsock:1024}, any CID)
 * @param ready where to announce readiness; by default the host (CID 2) port 1025 when listening on vsock
 * @param guest whether this is the guest's agent: Shutdown then powers the machine off instead of exiting
 */
record AgentOptions(Endpoint listen, Optional<Endpoint> ready, boolean guest) {

    static final String USAGE = "usage: agent [--listen vsock:[CID:]PORT|unix:PATH] [--ready vsock:CID:PORT|unix:PATH|none]"
            + " [--guest]";

    static AgentOptions parse(String... args) {
        Endpoint listen = new Endpoint.Vsock(-1, 1024);
        String ready = null;
        boolean guest = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--listen" -> listen = Endpoint.parse(value(args, ++i));
                case "--ready" -> ready = value(args, ++i);
                case "--guest" -> guest = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "\n" + USAGE);
            }
        }
        Optional<Endpoint> readyTarget;
        if (ready == null) {
            readyTarget = listen instanceof Endpoint.Vsock ? Optional.of(new Endpoint.Vsock(2, 1025)) : Optional.empty();
        } else {
            readyTarget = ready.equals("none") ? Optional.empty() : Optional.of(Endpoint.parse(ready));
        }
        return new AgentOptions(listen, readyTarget, guest);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value\n" + USAGE);
        }
        return args[i];
    }
}
