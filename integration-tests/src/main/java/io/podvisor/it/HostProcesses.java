package io.podvisor.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Host processes as tests look for them: by their full command line from /proc. */
public final class HostProcesses {
    /**
     * What a podvisor shim's command line holds: the JVM shim's main class, or the native shim's binary name
     * (install/native-shim.sh) followed by its arguments.
     */
    public static final List<String> SHIM_MARKS = List.of("io.podvisor.shim.ShimMain", "containerd-shim-podvisor-v2 ");

    private HostProcesses() {}

    /** Whether {@code cmdline} is a podvisor shim's, JVM or native. */
    public static boolean isShim(String cmdline) {
        return SHIM_MARKS.stream().anyMatch(cmdline::contains);
    }

    /** The podvisor shims running, JVM or native (their start commands too). */
    public static List<ProcessHandle> shims() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> isShim(cmdline(p)))
                .toList();
    }

    /** The podvisor shims (JVM or native) whose command line mentions {@code text}, such as a task's id. */
    public static List<ProcessHandle> shimsMentioning(String text) {
        return mentioning(text).stream().filter(p -> isShim(cmdline(p))).toList();
    }

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
