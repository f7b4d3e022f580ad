package io.podvisor.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code podvisor pods [--json]}: the node's pod VMs with their size, the host memory and CPU time of their
 * processes (VMM and virtiofsd) and their uptime.
 */
final class PodsCommand {
    static final List<String> HEADER =
            List.of("POD ID", "POD", "STATE", "VMM PID", "VCPUS", "MEMORY", "RSS", "PSS", "CPU", "UPTIME");
    /** As much of a pod id as the table shows, as crictl does. */
    static final int SHORT_ID = 13;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PodsCommand() {}

    static boolean parseJsonFlag(List<String> args) {
        boolean json = false;
        for (String a : args) {
            switch (a) {
                case "--json" -> json = true;
                default -> throw new IllegalArgumentException("unknown option '" + a + "' for 'pods'");
            }
        }
        return json;
    }

    static void print(List<PodVmStatus> pods, boolean json, PrintStream out) throws IOException {
        out.println(json ? json(pods) : table(pods));
    }

    static String table(List<PodVmStatus> pods) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        for (PodVmStatus p : pods) {
            boolean running = p.state().equals(PodVmStatus.RUNNING);
            rows.add(List.of(
                    p.id().length() > SHORT_ID ? p.id().substring(0, SHORT_ID) : p.id(),
                    p.podName().isEmpty() ? "-" : p.podName(),
                    p.state(),
                    running ? Long.toString(p.vmmPid()) : "-",
                    p.info() != null ? Integer.toString(p.info().vcpus()) : "-",
                    p.info() != null ? p.info().memoryMib() + " MiB" : "-",
                    running ? kib(p.host().rssKib()) : "-",
                    running ? kib(p.host().pssKib()) : "-",
                    running ? duration(p.host().cpu()) : "-",
                    running ? duration(p.uptime()) : "-"));
        }
        return columns(rows);
    }

    /** The rows as left-aligned columns two spaces apart, without trailing blanks. */
    static String columns(List<List<String>> rows) {
        int[] widths = new int[rows.getFirst().size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 2) + "s", row.get(i)));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString().stripTrailing();
    }

    static String json(List<PodVmStatus> pods) throws IOException {
        ArrayNode array = JSON.createArrayNode();
        for (PodVmStatus p : pods) {
            ObjectNode o = array.addObject();
            o.put("id", p.info() != null ? p.info().id() : null);
            o.put("namespace", p.info() != null ? p.info().namespace() : null);
            o.put("name", p.info() != null ? p.info().name() : null);
            o.put("state", p.state());
            o.put("dir", p.dir().toString());
            o.put("console_log", p.consoleLog().toString());
            o.put("vmm_pid", p.vmmPid() > 0 ? p.vmmPid() : null);
            o.put("vcpus", p.info() != null ? p.info().vcpus() : null);
            o.put("memory_mib", p.info() != null ? p.info().memoryMib() : null);
            o.put("rss_kib", p.host().rssKib());
            o.put("pss_kib", p.host().pssKib());
            o.put("cpu_seconds", p.host().cpu().toMillis() / 1000.0);
            o.put("uptime_seconds", p.uptime().toSeconds());
        }
        return JSON.writeValueAsString(array);
    }

    /** "900 KiB", "8.5 MiB", "310 MiB", "12.0 GiB". */
    static String kib(long kib) {
        if (kib < 1024) {
            return kib + " KiB";
        }
        double mib = kib / 1024.0;
        if (mib < 10) {
            return String.format(Locale.ROOT, "%.1f MiB", mib);
        }
        if (mib < 10 * 1024) {
            return Math.round(mib) + " MiB";
        }
        return String.format(Locale.ROOT, "%.1f GiB", mib / 1024);
    }

    /** "4.2s", "5m03s", "2h05m", "3d04h". */
    static String duration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", s / 86400, s % 86400 / 3600);
    }
}
