package io.podvisor.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Host processes as tests look for them: by their full command line from /proc. */
public final class HostProcesses {
    private HostProcesses() {}

    /** The full command line, arguments joined by spaces; ProcessHandle.Info cuts long ones. Empty if gone. */
    public static String cmdline(ProcessHandle process) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Processes other than this one whose command line contains {@code text}. */
    public static List<ProcessHandle> mentioning(String text) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> cmdline(p).contains(text))
                .toList();
    }
}
