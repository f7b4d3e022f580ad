package io.podvisor.it.cri;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Removes a test's host cgroup (cgroup v2, or every v1 hierarchy), deepest first; a busy one fails the removal. */
final class HostCgroups {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private HostCgroups() {
    }

    static void remove(String path) throws IOException {
        List<Path> roots = Files.exists(ROOT.resolve("cgroup.controllers")) ? List.of(ROOT)
                : Files.list(ROOT).filter(Files::isDirectory).toList();
        for (Path root : roots) {
            Path dir = root.resolve(path.substring(1));
            if (!Files.isDirectory(dir)) {
                continue;
            }
            List<Path> dirs;
            try (Stream<Path> tree = Files.walk(dir)) {
                dirs = tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
            }
            for (Path d : dirs) {
                Files.delete(d);
            }
        }
    }
}
