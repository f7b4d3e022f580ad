package io.podvisor.agent.container;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A container's cgroup v2 directory, {@code <cgroup root>/podvisor/<id>}: its processes and figures. */
final class ContainerCgroup {

    private final Path dir;

    ContainerCgroup(Path cgroupRoot, String containerId) {
        this.dir = cgroupRoot.resolve(GuestSpec.cgroupsPath(containerId).substring(1));
    }

    Path dir() {
        return dir;
    }

    boolean exists() {
        return Files.isDirectory(dir);
    }

    Path memoryEvents() {
        return dir.resolve("memory.events");
    }

    /** Every process in the cgroup and its descendants, as {@code crun ps} lists them; empty once it is gone. */
    List<Integer> pids() throws IOException {
        List<Integer> pids = new ArrayList<>();
        try (Stream<Path> dirs = Files.walk(dir)) {
            dirs.filter(Files::isDirectory).forEach(d -> readProcs(d.resolve("cgroup.procs"), pids));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                return pids;
            }
            throw e.getCause();
        }
        return pids;
    }

    private static void readProcs(Path procs, List<Integer> pids) {
        try {
            for (String line : Files.readAllLines(procs)) {
                if (!line.isBlank()) {
                    pids.add(Integer.parseInt(line.strip()));
                }
            }
        } catch (NoSuchFileException e) {
            // a child cgroup removed while listing
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
