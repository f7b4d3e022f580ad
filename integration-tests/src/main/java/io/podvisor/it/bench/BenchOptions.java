package io.podvisor.it.bench;

import java.nio.file.Path;
import java.util.List;

/** {@code podvisor bench [vm] [--pods N] [--density N] [--boots N] [--json FILE]}. */
record BenchOptions(boolean vmOnly, int pods, int density, int warm, int boots, Path json) {
    static final String USAGE = """
            usage:
              podvisor bench [--pods N] [--density N] [--warm N] [--json FILE]
                  on a private containerd: VM boots, pod and container start, exec, memory, vsock and
                  virtio-fs figures over N podvisor pods (default 10) next to N runc pods, the
                  memory of N pods running at once (--density, default 10; 0 skips it), and N pod
                  starts from a warm pool of one VM (--warm, default --pods; 0 skips it)
              podvisor bench vm [--boots N] [--json FILE]
                  only VM start -> agent ready and hybrid vsock figures over N VMs (default 5)
            """;

    static BenchOptions parse(List<String> args) {
        boolean vmOnly = !args.isEmpty() && args.getFirst().equals("vm");
        List<String> rest = vmOnly ? args.subList(1, args.size()) : args;
        int pods = 10;
        int density = 10;
        Integer boots = null;
        Integer warm = null;
        Path json = null;
        for (int i = 0; i < rest.size(); i++) {
            String option = rest.get(i);
            String value = i + 1 < rest.size() ? rest.get(++i) : null;
            switch (option) {
                case "--pods" -> pods = number(option, value, 1);
                case "--density" -> density = number(option, value, 0);
                case "--boots" -> boots = number(option, value, 1);
                case "--warm" -> warm = number(option, value, 0);
                case "--json" -> json = Path.of(required(option, value));
                default -> throw new IllegalArgumentException("unknown option '" + option + "'");
            }
            if (vmOnly && (option.equals("--pods") || option.equals("--density") || option.equals("--warm"))) {
                throw new IllegalArgumentException("'bench vm' takes --boots and --json, not " + option);
            }
        }
        return new BenchOptions(vmOnly, pods, density, vmOnly ? 0 : warm != null ? warm : pods,
                boots != null ? boots : vmOnly ? 5 : pods, json);
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static int number(String option, String value, int min) {
        try {
            int n = Integer.parseInt(required(option, value));
            if (n < min) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number >= " + min + ", got '" + value + "'");
        }
    }
}
