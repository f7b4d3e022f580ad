package io.podvisor.it.soak;

import io.podvisor.it.ToolLogging;
import java.io.PrintStream;
import java.util.List;

/** {@code podvisor soak}: many pod lifecycles on a private containerd, checked for leaks. */
public final class SoakMain {
    private SoakMain() {}

    public static void main(String[] args) {
        ToolLogging.quietUnlessDebug();
        System.exit(run(List.of(args), System.out, System.err));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("-h") || args.contains("--help")) {
            out.print(SoakOptions.USAGE);
            return 0;
        }
        SoakOptions options;
        try {
            options = SoakOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("podvisor soak: " + e.getMessage());
            err.print(SoakOptions.USAGE);
            return 2;
        }
        try {
            SoakReport report = Soak.run(("podvisor soak " + String.join(" ", args)).strip(), options, err);
            report.printSummary(out);
            if (options.json() != null) {
                report.writeJson(options.json());
                out.println("JSON: " + options.json().toAbsolutePath());
            }
            return report.clean() ? 0 : 1;
        } catch (Exception e) {
            err.println("podvisor soak: " + e);
            if (System.getenv("PODVISOR_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }
}
