package io.podvisor.shim.agent;

import io.podvisor.hypervisor.VmmProcess;
import java.nio.file.Path;

/** The last lines of a VM's console log, indented, for error messages and the shim's log. */
public final class ConsoleTail {
    private static final int LINES = 15;

    private ConsoleTail() {}

    public static String of(Path consoleLog) {
        return of(consoleLog, LINES);
    }

    public static String of(Path consoleLog, int lines) {
        return VmmProcess.tail(consoleLog, lines).stripTrailing();
    }
}
