package io.podvisor.shim.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The pod's host cgroup, holding the VM's host processes (the VMM and virtiofsd). containerd's PodSandboxStats
 * ({@code crictl statsp}, kubelet's pod figures) reads the CPU and memory of the pod's cgroup parent on the host,
 * on 1.7 and 2.x alike; with runc the pod's containers are in it, with podvisor the VM is what the pod costs the
 * node. So the VM's processes join the cgroup containerd names in the sandbox spec ({@code linux.cgroupsPath},
 * under the pod's cgroup parent), as runc would put the sandbox's pause process there. Only the cgroupfs form of
 * the path ({@code /parent/id}) is handled; a systemd-driver path ({@code slice:prefix:name}) leaves the VM where
 * it is, and says so in the log. cgroup v2, or v1's cpu, cpuacct, memory and pids hierarchies.
 */
final class PodCgroup {
    private static final System.Logger LOG = System.getLogger(PodCgroup.class.getName());
    private static final Path ROOT = Path.of("/sys/fs/cgroup");
    private static final List<String> V1_CONTROLLERS = List.of("cpu", "cpuacct", "memory", "pids");

    private final String podId;
    private final List<Path> dirs;
    private final List<ProcessHandle> processes;

    private PodCgroup(String podId, List<Path> dirs, List<ProcessHandle> processes) {
        this.podId = podId;
        this.dirs = dirs;
        this.processes = processes;
    }

    /** Moves {@code processes} into the sandbox's cgroup, if its spec names one; the pod runs on either way. */
    static Optional<PodCgroup> join(String podId, JsonNode sandboxSpec, List<ProcessHandle> processes) {
        String path = sandboxSpec.path("linux").path("cgroupsPath").asText("");
        if (path.isEmpty()) {
            return Optional.empty();
        }
        if (!path.startsWith("/") || path.contains("..")) {
            LOG.log(System.Logger.Level.WARNING, "pod {0}: its VM stays out of cgroup {1} (only the cgroupfs form"
                    + " /parent/id is handled), so the pod''s stats do not count it", podId, path);
            return Optional.empty();
        }
        List<Path> dirs = new ArrayList<>();
        if (Files.exists(ROOT.resolve("cgroup.controllers"))) {
            dirs.add(ROOT.resolve(path.substring(1)));
        } else {
            for (String controller : V1_CONTROLLERS) {
                Path hierarchy = ROOT.resolve(controller);
                if (Files.isDirectory(hierarchy)) {
                    dirs.add(hierarchy.resolve(path.substring(1)));
                }
            }
        }
        PodCgroup cgroup = new PodCgroup(podId, dirs, processes);
        try {
            for (Path dir : dirs) {
                Files.createDirectories(dir);
                for (ProcessHandle process : processes) {
                    Files.writeString(dir.resolve("cgroup.procs"), Long.toString(process.pid()));
                }
            }
            LOG.log(System.Logger.Level.INFO, "pod {0}: VM processes {1} in cgroup {2}", podId,
                    processes.stream().map(ProcessHandle::pid).toList(), path);
            return Optional.of(cgroup);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "pod {0}: cannot put its VM in cgroup {1}, so the pod''s stats do not"
                    + " count it: {2}", podId, path, e.toString());
            cgroup.remove();
            return Optional.empty();
        }
    }

    /** Removes the cgroup once its processes have ended (waiting 10 s at most); one still busy stays, with a log line. */
    void remove() {
        for (ProcessHandle process : processes) {
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                LOG.log(System.Logger.Level.DEBUG, "pod {0}: process {1} did not end: {2}", podId, process.pid(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (Path dir : dirs) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "pod {0}: cannot remove cgroup {1}: {2}", podId, dir, e.toString());
            }
        }
    }
}
