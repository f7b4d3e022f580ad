package io.podvisor.shim.agent;

import io.podvisor.hypervisor.VmmProcess;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** The last lines of a VM's console log, indented, for error messages and the shim's log. */
public final class ConsoleTail {
    private static final int LINES = 15;
    /** How far back (at most; the log's last 8 KiB) a dead VM's tail looks for the start of a kernel fault report. */
    private static final int FAULT_SEARCH_LINES = 200;
    /** Lines that open a guest kernel's fault report (a panic, a BUG, an oops, a warning's cut mark). */
    private static final Pattern FAULT = Pattern.compile(
            "Kernel panic - not syncing|kernel BUG at|BUG: |Oops|-\\[ cut here \\]-");

    private ConsoleTail() {}

    public static String of(Path consoleLog) {
        return VmmProcess.tail(consoleLog, LINES).stripTrailing();
    }

    /**
     * A dead VM's console: its last {@code lines} lines, or, when the guest kernel's fault report began before
     * them, everything from the report's first line, so the log keeps what ended the VM (a long call trace
     * pushes "Kernel panic - not syncing" out of a fixed count of lines).
     */
    public static String ofDeadVm(Path consoleLog, int lines) {
        List<String> recent = VmmProcess.tail(consoleLog, FAULT_SEARCH_LINES).lines().toList();
        int from = Math.max(0, recent.size() - lines);
        for (int i = 0; i < from; i++) {
            if (FAULT.matcher(recent.get(i)).find()) {
                from = i;
                break;
            }
        }
        return String.join("\n", recent.subList(from, recent.size())).stripTrailing();
    }
}
