package io.podvisor.shim.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The last lines of a VM's console log, for error messages. */
public final class ConsoleTail {
    private static final int LINES = 15;

    private ConsoleTail() {}

    public static String of(Path consoleLog) {
        try {
            List<String> lines = List.of(new String(Files.readAllBytes(consoleLog), StandardCharsets.UTF_8)
                    .split("\r?\n"));
            return "  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - LINES), lines.size()));
        } catch (IOException e) {
            return "  (no console output: " + e.getMessage() + ")";
        }
    }
}
