package io.podvisor.it.soak;

import io.podvisor.it.containerd.ContainerdRelease;
import java.nio.file.Path;
import java.util.List;

/** {@code podvisor soak [--cycles N] [--parallel P] [--containerd 1.7|2.1] [--json FILE]}. */
record SoakOptions(int cycles, int parallel, ContainerdRelease containerd, Path json) {
    static final String USAGE = """
            usage:
              podvisor soak [--cycles N] [--parallel P] [--containerd 1.7|2.1] [--json FILE]
                  on a private containerd: N podvisor pod lifecycles (default 50), P at once (default 4):
                  run the pod, create, start and exec into a container, stop and remove it, stop and
                  remove the pod. Each cycle is checked for what its pod left on the host; after each
                  round of P cycles the node's processes, mounts, network namespaces, TAP devices, files
                  under the run directory and containerd's descriptors are compared with the start.
                  Exits 1 when anything leaked or a cycle failed.
            """;

    static SoakOptions parse(List<String> args) {
        int cycles = 50;
        int parallel = 4;
        ContainerdRelease containerd = ContainerdRelease.V1_7;
        Path json = null;
        for (int i = 0; i < args.size(); i++) {
            String option = args.get(i);
            String value = i + 1 < args.size() ? args.get(++i) : null;
            switch (option) {
                case "--cycles" -> cycles = number(option, value);
                case "--parallel" -> parallel = number(option, value);
                case "--containerd" -> containerd = release(value);
                case "--json" -> json = Path.of(required(option, value));
                default -> throw new IllegalArgumentException("unknown option '" + option + "'");
            }
        }
        return new SoakOptions(cycles, Math.min(parallel, cycles), containerd, json);
    }

    private static ContainerdRelease release(String value) {
        for (ContainerdRelease release : ContainerdRelease.values()) {
            if (release.series().equals(value)) {
                return release;
            }
        }
        throw new IllegalArgumentException("--containerd takes 1.7 or 2.1, got '" + value + "'");
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static int number(String option, String value) {
        try {
            int n = Integer.parseInt(required(option, value));
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number >= 1, got '" + value + "'");
        }
    }
}
