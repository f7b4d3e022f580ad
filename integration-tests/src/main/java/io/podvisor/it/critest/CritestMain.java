package io.podvisor.it.critest;

import io.podvisor.it.ToolLogging;
import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.TestBedTeardown;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code podvisor critest}: runs cri-tools' CRI validation suite (critest) against a private containerd with the
 * runtime handler podvisor or runc, and adds up the results.
 */
public final class CritestMain {
    private CritestMain() {
    }

    public static void main(String[] args) {
        ToolLogging.quietUnlessDebug();
        System.exit(run(List.of(args), System.out, System.err));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("-h") || args.contains("--help")) {
            out.print(CritestOptions.USAGE);
            return 0;
        }
        CritestOptions options;
        try {
            options = CritestOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("podvisor critest: " + e.getMessage());
            err.print(CritestOptions.USAGE);
            return 2;
        }
        try {
            Map<String, SkipList> skipLists = new HashMap<>();
            for (Map.Entry<String, List<Path>> lists : options.skipLists().entrySet()) {
                SkipList merged = SkipList.none();
                for (Path file : lists.getValue()) {
                    merged = merged.plus(SkipList.read(file));
                }
                skipLists.put(lists.getKey(), merged);
            }
            Files.createDirectories(options.results());
            if (options.command().equals("run")) {
                runChunk(options, skipsOf(options.handler(), skipLists), out);
            }
            CritestSummary summary = CritestSummary.read(options.results());
            Map<String, SkipList> perHandler = new HashMap<>();
            summary.handlers().forEach(handler -> perHandler.put(handler, skipsOf(handler, skipLists)));
            summary.print(out, perHandler);
            return 0;
        } catch (Exception e) {
            err.println("podvisor critest: " + e.getMessage());
            if (System.getenv("PODVISOR_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }

    /** The skip lists given for every handler, then those given for {@code handler}. */
    private static SkipList skipsOf(String handler, Map<String, SkipList> skipLists) {
        return skipLists.getOrDefault(CritestOptions.ALL_HANDLERS, SkipList.none())
                .plus(skipLists.getOrDefault(handler, SkipList.none()));
    }

    private static void runChunk(CritestOptions options, SkipList skips, PrintStream out) throws Exception {
        if (!Files.isExecutable(options.critest())) {
            throw new IOException(options.critest() + " is not an executable critest: build it with install/critest.sh");
        }
        LookupShell shell = LookupShell.of(options.shell());
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path report = options.results().resolve(options.handler() + "." + stamp + ".json").toAbsolutePath();
        Path log = options.results().resolve(options.handler() + "." + stamp + ".log").toAbsolutePath();
        // critest's OOM spec gives its container a 15 MiB memory limit, below podvisor's default minimum (16 MiB).
        Path podvisorConfig = Files.writeString(options.results().resolve("podvisor-critest.toml").toAbsolutePath(),
                "min_pod_memory_mib = 8\n");
        String runtimeOptions = "[" + options.release().runtimesSection() + "." + CriTestBed.PODVISOR_HANDLER
                + ".options]\n  ConfigPath = \"" + podvisorConfig + "\"\n";
        try (TestBedTeardown bed = TestBedTeardown.onExit(
                CriTestBed.start(options.release(), true, runtimeOptions, true), out)) {
            Path images = Files.createDirectories(bed.get().containerd().dir().resolve("critest-images"));
            CritestImages.importAll(bed.get().containerd().ctr("k8s.io"), images, shell);
            String endpoint = "unix://" + bed.get().containerd().address();
            List<String> command = new ArrayList<>(List.of(options.critest().toAbsolutePath().toString(),
                    "--runtime-endpoint=" + endpoint, "--image-endpoint=" + endpoint,
                    "--runtime-handler=" + options.handler(),
                    "--ginkgo.no-color", "--ginkgo.v", "--ginkgo.json-report=" + report));
            options.focus().forEach(focus -> command.add("--ginkgo.focus=" + focus));
            options.skip().forEach(skip -> command.add("--ginkgo.skip=" + skip));
            command.addAll(skips.ginkgoSkipArgs());
            out.println("critest on " + options.release() + " in " + bed.get().containerd().dir() + ", handler "
                    + options.handler() + "; log: " + log);
            Process critest = new ProcessBuilder(command).redirectErrorStream(true)
                    .directory(bed.get().containerd().dir().toFile()).start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(critest.getInputStream(), StandardCharsets.UTF_8));
                    PrintStream logFile = new PrintStream(Files.newOutputStream(log), true, StandardCharsets.UTF_8)) {
                logFile.println(String.join(" ", command));
                String line;
                while ((line = lines.readLine()) != null) {
                    logFile.println(line);
                    if (line.startsWith("•") || line.contains("[FAILED]") || line.startsWith("Ran ")) {
                        out.println(line);
                    }
                }
            }
            int exit = critest.waitFor();
            if (!Files.exists(report)) {
                throw new IOException("critest exited " + exit + " without writing " + report + "; see " + log);
            }
        }
    }
}
