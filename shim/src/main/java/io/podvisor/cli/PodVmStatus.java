package io.podvisor.cli;

import io.podvisor.shim.vm.PodInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One pod VM on this node, from its pod directory ({@code <run_dir>/pods/<hash of the pod id>/}) and /proc.
 *
 * @param info what the shim recorded at boot; null when it has not (the VM is still booting, or the directory
 *     was left by a killed shim or an older podvisor) or the record cannot be read
 * @param state {@link #RUNNING}, {@link #EXITED} (the VMM is gone) or {@link #UNKNOWN} (no {@code info})
 * @param host the VMM's and virtiofsd's figures added up
 */
record PodVmStatus(Path dir, PodInfo info, String state, long vmmPid, ProcStats host, Duration uptime) {
    static final String RUNNING = "running";
    static final String EXITED = "exited";
    static final String UNKNOWN = "unknown";
    static final String CONSOLE_LOG = "console.log";

    /** The pod id, or the directory's name when the shim recorded none. */
    String id() {
        return info != null ? info.id() : dir.getFileName().toString();
    }

    /** "namespace/name", "name", or "" when the pod has no Kubernetes name. */
    String podName() {
        if (info == null || info.name().isEmpty()) {
            return "";
        }
        return info.namespace().isEmpty() ? info.name() : info.namespace() + "/" + info.name();
    }

    Path consoleLog() {
        return dir.resolve(CONSOLE_LOG);
    }

    /** The node's pod VMs, in the order of their directories. */
    static List<PodVmStatus> list(Path runDir, Instant now) throws IOException {
        Path pods = PodInfo.podsDir(runDir);
        if (!Files.isDirectory(pods)) {
            return List.of();
        }
        List<Path> dirs;
        try (Stream<Path> list = Files.list(pods)) {
            // A pod on a warm VM is listed once, by the VM's directory; its name's link is skipped.
            dirs = list.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        List<PodVmStatus> result = new ArrayList<>();
        for (Path dir : dirs) {
            if (dir.getFileName().toString().startsWith("warm-") && !Files.exists(dir.resolve(PodInfo.FILE))) {
                continue; // a warm pool VM no pod took yet: podvisor pool lists those
            }
            result.add(of(dir, now));
        }
        return result;
    }

    static PodVmStatus of(Path dir, Instant now) throws IOException {
        PodInfo info;
        try {
            info = PodInfo.read(dir);
        } catch (IOException e) { // not written yet, or not by this podvisor: one such pod must not hide the others
            return new PodVmStatus(dir, null, UNKNOWN, 0, ProcStats.NONE, Duration.ZERO);
        }
        Optional<ProcessHandle> vmm = podProcess(info.vmmPid(), dir);
        if (vmm.isEmpty()) {
            return new PodVmStatus(dir, info, EXITED, info.vmmPid(), ProcStats.NONE, Duration.ZERO);
        }
        List<ProcessHandle> processes = new ArrayList<>();
        processes.add(vmm.get());
        podProcess(info.virtiofsdPid(), dir).ifPresent(virtiofsd -> {
            processes.add(virtiofsd);
            virtiofsd.descendants().forEach(processes::add); // the server it forks into its sandbox
        });
        ProcStats host = ProcStats.NONE;
        for (ProcessHandle p : processes) {
            host = host.plus(ProcStats.of(p));
        }
        Duration uptime = vmm.get().info().startInstant().map(s -> Duration.between(s, now)).orElse(Duration.ZERO);
        return new PodVmStatus(dir, info, RUNNING, info.vmmPid(), host, uptime);
    }

    /** The live process {@code pid} if it is still this pod's (its command line names the pod directory). */
    private static Optional<ProcessHandle> podProcess(long pid, Path dir) {
        if (pid <= 0) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(p -> ProcStats.cmdline(pid).contains(dir.toString()));
    }
}
