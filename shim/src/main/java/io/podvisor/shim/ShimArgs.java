package io.podvisor.shim;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The shim v2 command line, flags in Go's style ({@code -flag value}, {@code -flag=value}, one or two
 * dashes) followed by the action: {@code start}, {@code delete}, or none for the long-lived shim.
 */
public record ShimArgs(String namespace, String id, String address, String publishBinary, Optional<Path> bundle,
        boolean debug, boolean version, Optional<Path> socket, String action) {

    /** Starts the VMs the warm pool lacks, or says why it cannot. */
    static final String FILL = "warm-fill";

    public static final String USAGE = "usage: containerd-shim-podvisor-v2 -namespace NS -address ADDR "
            + "-publish-binary BIN -id ID [-bundle DIR] [-debug] start|delete   (or -v, or " + FILL + ")";

    public static ShimArgs parse(String... args) {
        String namespace = "";
        String id = "";
        String address = "";
        String publishBinary = "";
        Path bundle = null;
        Path socket = null;
        boolean debug = false;
        boolean version = false;
        String action = "";
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                if (!action.isEmpty()) {
                    throw new IllegalArgumentException("unexpected argument " + arg + "\n" + USAGE);
                }
                action = arg.equals("--") && i + 1 < args.length ? args[++i] : arg;
                continue;
            }
            String name = arg.replaceFirst("^--?", "");
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            switch (name) {
                case "debug" -> debug = value == null || Boolean.parseBoolean(value);
                case "v", "version" -> version = value == null || Boolean.parseBoolean(value);
                case "namespace", "id", "address", "publish-binary", "bundle", "socket" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("flag -" + name + " needs a value\n" + USAGE);
                        }
                        value = args[++i];
                    }
                    switch (name) {
                        case "namespace" -> namespace = value;
                        case "id" -> id = value;
                        case "address" -> address = value;
                        case "publish-binary" -> publishBinary = value;
                        case "bundle" -> bundle = Path.of(value);
                        default -> socket = Path.of(value);
                    }
                }
                default -> throw new IllegalArgumentException("unknown flag -" + name + "\n" + USAGE);
            }
        }
        if (!version && !Map.of("start", 1, "delete", 1, "", 1, WarmPool.ACTION, 1, FILL, 1).containsKey(action)) {
            throw new IllegalArgumentException("unknown action " + action + "\n" + USAGE);
        }
        if (!version && !action.equals(FILL) && (namespace.isEmpty() || id.isEmpty())) {
            throw new IllegalArgumentException("-namespace and -id are required\n" + USAGE);
        }
        return new ShimArgs(namespace, id, address, publishBinary, Optional.ofNullable(bundle), debug, version,
                Optional.ofNullable(socket), action);
    }
}
