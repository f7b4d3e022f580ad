package io.podvisor.it.soak;

import io.podvisor.it.cri.CriClient;
import io.podvisor.it.cri.CriPod;
import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.PodTraces;
import io.podvisor.it.HostProcesses;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.RemovePodSandboxRequest;
import io.podvisor.proto.cri.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One pod lifecycle through the CRI: run the pod, create, start and exec into a container, stop and
 * remove it, stop and remove the pod; then what of the pod is left on the host.
 */
final class SoakCycle {
    private static final List<String> SLEEPER = List.of("sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait");

    private SoakCycle() {}

    /** The outcome of one cycle: step times in seconds, the shim's open descriptors while it ran, what was left. */
    record Result(int cycle, String pod, boolean ok, String error, Map<String, Double> seconds, long shimFds,
                  List<String> leftovers) {}

    static Result run(CriClient cri, Path logRoot, int cycle) {
        String name = "soak-" + cycle;
        Map<String, Double> seconds = new LinkedHashMap<>();
        String podId = "";
        Path netns = Path.of("/nonexistent");
        long shimFds = -1;
        String error = null;
        CriPod pod = null;
        try {
            long t = System.nanoTime();
            pod = CriPod.run(cri, name, CriTestBed.PODVISOR_HANDLER, logRoot.resolve(name));
            podId = pod.id();
            netns = pod.netnsPath();
            t = step(seconds, "run_pod", t);
            String container = pod.createContainer(CriPod.container("app", CriTestBed.BUSYBOX_IMAGE, SLEEPER));
            t = step(seconds, "create", t);
            pod.start(container);
            t = step(seconds, "start", t);
            ExecSyncResponse exec = pod.exec(container, 120, "echo", "soak");
            if (exec.getExitCode() != 0 || !exec.getStdout().toStringUtf8().strip().equals("soak")) {
                throw new IOException("exec 'echo soak' in " + pod + " gave exit " + exec.getExitCode()
                        + ", stdout '" + exec.getStdout().toStringUtf8().strip() + "'");
            }
            t = step(seconds, "exec", t);
            shimFds = shimFds(podId);
            pod.stopContainer(container, 10);
            t = step(seconds, "stop", t);
            pod.removeContainer(container);
            t = step(seconds, "remove", t);
            cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            t = step(seconds, "stop_pod", t);
            cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            step(seconds, "remove_pod", t);
            pod = null;
        } catch (Exception e) {
            error = e.toString();
        } finally {
            if (pod != null) {
                try {
                    pod.close();
                } catch (RuntimeException e) {
                    error = error + "; removing the pod failed too: " + e;
                }
            }
        }
        List<String> leftovers = podId.isEmpty() ? List.of() : awaitGone(podId, netns);
        return new Result(cycle, podId, error == null && leftovers.isEmpty(), error, seconds, shimFds, leftovers);
    }

    private static long step(Map<String, Double> seconds, String name, long since) {
        long now = System.nanoTime();
        seconds.put(name, (now - since) / 1e9);
        return now;
    }

    /** The open descriptors of the pod's shim (the daemon, not its short-lived start command). */
    private static long shimFds(String podId) throws IOException {
        for (ProcessHandle p : HostProcesses.mentioning(" -id " + podId)) {
            String cmdline = HostProcesses.cmdline(p);
            if (HostProcesses.isShim(cmdline) && !cmdline.endsWith(" start")) {
                try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(p.pid()), "fd"))) {
                    return fds.count();
                }
            }
        }
        throw new IOException("no shim process for pod " + podId);
    }

    private static List<String> awaitGone(String podId, Path netns) {
        try {
            return PodTraces.await(() -> PodTraces.of(podId, netns));
        } catch (IOException e) {
            return List.of("cannot look for the pod's leftovers: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of("interrupted while looking for the pod's leftovers");
        }
    }
}
