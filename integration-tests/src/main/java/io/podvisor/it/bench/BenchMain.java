package io.podvisor.it.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@code podvisor bench}: the benchmark suite on a private containerd, as a table and as JSON. */
public final class BenchMain {
    /** Held so the levels stick: java.util.logging keeps loggers weakly. */
    private static final List<Logger> QUIETED = List.of(
            Logger.getLogger("io.netty.bootstrap"), Logger.getLogger("io.podvisor"), Logger.getLogger("io.grpc"));

    private BenchMain() {}

    public static void main(String[] args) {
        if (System.getenv("PODVISOR_DEBUG") == null) {
            QUIETED.forEach(logger -> logger.setLevel(Level.SEVERE));
        }
        String repo = System.getenv("PODVISOR_REPO");
        if (repo != null && System.getProperty("podvisor.repo") == null) {
            // Where the private containerd finds install/containerd-shim-podvisor-v2.
            System.setProperty("podvisor.repo", repo);
        }
        System.exit(run(List.of(args), System.out, System.err));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("-h") || args.contains("--help")) {
            out.print(BenchOptions.USAGE);
            return 0;
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("podvisor bench: " + e.getMessage());
            err.print(BenchOptions.USAGE);
            return 2;
        }
        try {
            Report report = BenchSuite.run(("podvisor bench " + String.join(" ", args)).strip(), options, err);
            report.printTable(out);
            if (options.json() != null) {
                report.writeJson(options.json());
                out.println("JSON: " + options.json().toAbsolutePath());
            }
            return 0;
        } catch (Exception e) {
            err.println("podvisor bench: " + e);
            if (System.getenv("PODVISOR_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }
}
