package io.podvisor.it.critest;

import io.podvisor.it.containerd.ContainerdRelease;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The command line of {@code podvisor critest}. */
public record CritestOptions(String command, Path critest, String handler, Path shell, Path results,
        List<String> focus, List<String> skip, Map<String, List<Path>> skipLists, ContainerdRelease release) {
    /** The key in {@link #skipLists()} of the lists given without a handler. */
    public static final String ALL_HANDLERS = "*";

    public static final String USAGE = """
            usage: podvisor critest run --critest BIN --handler podvisor|runc --shell FILE --results DIR
                                        [--focus REGEX]... [--skip REGEX]... [--skip-list [HANDLER=]FILE]...
                                        [--containerd 1.7|2.1]
                   podvisor critest summary --results DIR [--skip-list [HANDLER=]FILE]...
              run      starts a private containerd (CRI, CNI bridge with portmap, local stand-in images), runs
                       critest's specs matching --focus with the runtime handler, minus --skip and the skip lists
                       (of every handler, or of HANDLER=), and writes DIR/<handler>.<time>.json and .log;
                       --shell is the busybox of the stand-in images: Debian's dynamically linked one, whose
                       sh looks commands up in PATH (busybox-static's runs its applets without exec)
              summary  per handler: passed, failed, skipped and not run over all runs in DIR, the failures, and
                       the specs that passed with runc but not with podvisor
            """;

    public static CritestOptions parse(List<String> args) {
        if (args.isEmpty() || !(args.get(0).equals("run") || args.get(0).equals("summary"))) {
            throw new IllegalArgumentException("the first argument is run or summary");
        }
        String command = args.get(0);
        Path critest = null;
        String handler = null;
        Path shell = null;
        Path results = null;
        List<String> focus = new ArrayList<>();
        List<String> skip = new ArrayList<>();
        Map<String, List<Path>> skipLists = new HashMap<>();
        ContainerdRelease release = ContainerdRelease.V1_7;
        for (int i = 1; i < args.size(); i++) {
            String flag = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            String value = args.get(++i);
            switch (flag) {
                case "--critest" -> critest = Path.of(value);
                case "--handler" -> handler = value;
                case "--shell" -> shell = Path.of(value);
                case "--results" -> results = Path.of(value);
                case "--focus" -> focus.add(value);
                case "--skip" -> skip.add(value);
                case "--skip-list" -> {
                    int eq = value.indexOf('=');
                    String handlerName = eq > 0 ? value.substring(0, eq) : ALL_HANDLERS;
                    skipLists.computeIfAbsent(handlerName, h -> new ArrayList<>()).add(Path.of(value.substring(eq + 1)));
                }
                case "--containerd" -> release = switch (value) {
                    case "1.7" -> ContainerdRelease.V1_7;
                    case "2.1" -> ContainerdRelease.V2_1;
                    default -> throw new IllegalArgumentException("--containerd is 1.7 or 2.1, got " + value);
                };
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (results == null) {
            throw new IllegalArgumentException("--results DIR is missing");
        }
        if (command.equals("run") && (critest == null || handler == null || shell == null)) {
            throw new IllegalArgumentException("run needs --critest BIN, --handler podvisor|runc and --shell FILE");
        }
        if (handler != null && !handler.matches("[a-z0-9-]+")) {
            throw new IllegalArgumentException("--handler is a runtime handler name such as podvisor or runc, got " + handler);
        }
        Map<String, List<Path>> lists = new HashMap<>();
        skipLists.forEach((name, files) -> lists.put(name, List.copyOf(files)));
        return new CritestOptions(command, critest, handler, shell, results, List.copyOf(focus), List.copyOf(skip),
                Map.copyOf(lists), release);
    }
}
