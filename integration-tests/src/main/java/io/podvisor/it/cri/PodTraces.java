package io.podvisor.it.cri;

import io.podvisor.it.HostProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What of a pod is on the host: processes and mounts naming it, its pod directory, its network namespace. */
public final class PodTraces {
    public static final Path POD_DIRS = Path.of("/run/podvisor/pods");

    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(200);

    private PodTraces() {}

    /** A look for what of a pod is on the host, one line a trace. */
    @FunctionalInterface
    public interface Lookup {
        List<String> traces() throws IOException;
    }

    /**
     * Looks again every 200 ms until {@code lookup} finds nothing or 30 s have passed (a removed pod's
     * processes may take a moment to go), and returns what it found last.
     */
    public static List<String> await(Lookup lookup) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + GRACE.toNanos();
        List<String> left = lookup.traces();
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(POLL);
            left = lookup.traces();
        }
        return left;
    }

    /** Everything naming pod {@code podId}, and its network namespace {@code netns} if that file still exists. */
    public static List<String> of(String podId, Path netns) throws IOException {
        List<String> left = naming(List.of(podId));
        if (Files.exists(POD_DIRS.resolve(podId))) {
            left.add("pod directory " + POD_DIRS.resolve(podId));
        }
        if (Files.exists(netns)) {
            left.add("network namespace " + netns);
        }
        return left;
    }

    /** Any podvisor shim, VMM, mount or pod directory on the host. */
    public static List<String> ofAnyPod() throws IOException {
        List<String> marks = new ArrayList<>(List.of(POD_DIRS.toString()));
        marks.addAll(HostProcesses.SHIM_MARKS);
        List<String> left = naming(marks);
        if (Files.isDirectory(POD_DIRS)) {
            try (Stream<Path> pods = Files.list(POD_DIRS)) {
                pods.forEach(p -> left.add("pod directory " + p));
            }
        }
        return left;
    }

    /** Processes and mounts naming any of {@code marks}. */
    public static List<String> naming(List<String> marks) throws IOException {
        List<String> left = new ArrayList<>();
        for (String mark : marks) {
            HostProcesses.mentioning(mark).forEach(p -> left.add("process " + p.pid() + ": " + HostProcesses.cmdline(p)));
            try (Stream<String> mounts = Files.lines(Path.of("/proc/self/mountinfo"))) {
                mounts.filter(l -> l.contains(mark)).forEach(l -> left.add("mount " + l));
            }
        }
        return left;
    }
}
