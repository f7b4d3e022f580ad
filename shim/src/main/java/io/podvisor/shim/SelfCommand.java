package io.podvisor.shim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The command line that started this JVM, without its program arguments: how to run this shim again. */
final class SelfCommand {
    private SelfCommand() {
    }

    /** {@code programArgs} are the arguments main() got; they end this process's command line. */
    static List<String> prefix(String[] programArgs) throws ShimException {
        List<String> all;
        try {
            String cmdline = new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), StandardCharsets.UTF_8);
            all = new ArrayList<>(Arrays.asList(cmdline.split("\0", -1)));
        } catch (IOException e) {
            throw new ShimException("cannot read /proc/self/cmdline to re-run the shim: " + e.getMessage(), e);
        }
        if (!all.isEmpty() && all.getLast().isEmpty()) {
            all.removeLast();
        }
        int start = all.size() - programArgs.length;
        if (start < 1 || !all.subList(start, all.size()).equals(Arrays.asList(programArgs))) {
            throw new ShimException("cannot tell the shim's own command from /proc/self/cmdline: " + all);
        }
        return List.copyOf(all.subList(0, start));
    }
}
