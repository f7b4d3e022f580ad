package io.podvisor.it.bench;

import io.podvisor.it.ToolLogging;
import java.io.PrintStream;
import java.util.List;

/** {@code podvisor bench}: the benchmark suite on a private containerd, as a table and as JSON. */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) {
        ToolLogging.quietUnlessDebug();
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
