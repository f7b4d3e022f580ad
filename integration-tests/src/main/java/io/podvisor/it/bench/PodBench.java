package io.podvisor.it.bench;

import io.podvisor.it.cri.CriClient;
import io.podvisor.it.cri.CriPod;
import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.FirstOutput;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import io.podvisor.proto.cri.v1.Mount;
import io.podvisor.shim.agent.AgentClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures one pod from RunPodSandbox to removal: pod start and container start to the first
 * line in the container's CRI log, ExecSync latency, host memory of the pod's processes, the
 * agent's RSS in the guest (podvisor) and reading a file from a volume.
 */
final class PodBench {
    static final Duration FIRST_OUTPUT_TIMEOUT = Duration.ofMinutes(4);
    static final List<String> ECHO_THEN_SLEEP = List.of("sh", "-c", "echo ready; exec sleep 3600");
    private static final int EXECS = 5;
    private static final long EXEC_TIMEOUT_SECONDS = 120;
    private static final Duration IDLE_WINDOW = Duration.ofSeconds(5);
    private static final String VOLUME = "/bench-data";
    private static final Pattern REAL_TIME = Pattern.compile("real\\s+(\\d+)m\\s*([0-9.]+)s");

    private final CriClient cri;
    private final Path logRoot;
    private final Path podsDir;
    private final VolumeFile volume;

    PodBench(CriClient cri, Path logRoot, Path podsDir, VolumeFile volume) {
        this.cri = cri;
        this.logRoot = logRoot;
        this.podsDir = podsDir;
        this.volume = volume;
    }

    /** Runs pod {@code name} with {@code runtime} ({@link Results#PODVISOR} or {@link Results#RUNC}). */
    String measure(String runtime, String name, Results results) throws IOException, TimeoutException, InterruptedException {
        Path logDir = logRoot.resolve(name);
        String handler = runtime.equals(Results.PODVISOR) ? CriTestBed.PODVISOR_HANDLER : "";
        try (FirstOutput output = FirstOutput.watch(logDir)) {
            long start = System.nanoTime();
            try (CriPod pod = CriPod.run(cri, name, handler, logDir)) {
                String first = pod.startContainer("first", CriTestBed.BUSYBOX_IMAGE, ECHO_THEN_SLEEP);
                output.await(pod.logFile("first"), FIRST_OUTPUT_TIMEOUT, "container first of pod " + name);
                double podStart = seconds(start);
                results.add(Measure.POD_START, runtime, podStart);

                long containerStart = System.nanoTime();
                String second = pod.startContainer(CriPod.container("second", CriTestBed.BUSYBOX_IMAGE, ECHO_THEN_SLEEP)
                        .addMounts(Mount.newBuilder().setHostPath(volume.dir().toString()).setContainerPath(VOLUME)
                                .setReadonly(true)));
                output.await(pod.logFile("second"), FIRST_OUTPUT_TIMEOUT, "container second of pod " + name);
                double containerSeconds = seconds(containerStart);
                results.add(Measure.CONTAINER_START, runtime, containerSeconds);

                for (int i = 0; i < EXECS; i++) {
                    long exec = System.nanoTime();
                    check(pod.exec(first, EXEC_TIMEOUT_SECONDS, "true"), pod, "true");
                    results.add(Measure.EXEC, runtime, (System.nanoTime() - exec) / 1e6);
                }

                // Memory before the file read and the vsock streams, which grow the guest's page cache.
                PodProcesses processes = PodProcesses.of(pod.id());
                PodProcesses.PodMemory memory = processes.memory();
                results.add(Measure.POD_TOTAL_PSS, runtime, memory.total().pssMiB());
                results.add(Measure.SHIM_PSS, runtime, memory.shim().pssMiB());
                if (runtime.equals(Results.PODVISOR)) {
                    results.add(Measure.POD_OVERHEAD_PSS, runtime, memory.pssWithoutGuestRamMiB());
                    results.add(Measure.VMM_PSS, runtime, memory.vmm().pssMiB());
                    results.add(Measure.VMM_RSS, runtime, memory.vmm().rssMiB());
                    results.add(Measure.VIRTIOFSD_PSS, runtime, memory.virtiofsd().pssMiB());
                    results.add(Measure.GUEST_TOUCHED, runtime, memory.vmm().rssShmemMiB());
                    try (AgentClient agent = AgentClient.connect("pod " + pod.id(), processes.vsockSocket(podsDir))) {
                        results.add(Measure.AGENT_RSS, runtime, agent.guestInfo().getAgentRssBytes() / 1048576.0);
                    }
                    results.add(Measure.IDLE_CPU, runtime, idleMillicores(processes));
                }

                String read = "time dd if=" + VOLUME + "/" + volume.name() + " of=/dev/null bs=1M";
                ExecSyncResponse dd = check(pod.exec(second, EXEC_TIMEOUT_SECONDS, "sh", "-c", read), pod, read);
                results.add(Measure.VIRTIOFS_READ, runtime, volume.size() / 1e6 / realSeconds(dd.getStderr().toStringUtf8(), pod));
                return "pod start %.2f s, container start %.2f s".formatted(podStart, containerSeconds);
            }
        }
    }

    /** The pod's host CPU while its containers sleep, over {@link #IDLE_WINDOW}: what RuntimeClass overhead.podFixed.cpu covers. */
    private static double idleMillicores(PodProcesses processes) throws IOException, InterruptedException {
        long ticks = processes.cpuTicks();
        long start = System.nanoTime();
        Thread.sleep(IDLE_WINDOW);
        double cpuMillis = (processes.cpuTicks() - ticks) * 10.0;
        return cpuMillis / ((System.nanoTime() - start) / 1e6) * 1000;
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static ExecSyncResponse check(ExecSyncResponse response, CriPod pod, String command) throws IOException {
        if (response.getExitCode() != 0) {
            throw new IOException(pod + ": '" + command + "' exited "
                    + response.getExitCode() + ": " + response.getStderr().toStringUtf8().strip());
        }
        return response;
    }

    /** The elapsed time busybox sh's {@code time} printed ({@code real 0m 1.23s}), at least its 10 ms resolution. */
    static double realSeconds(String timeOutput, CriPod pod) throws IOException {
        Matcher m = REAL_TIME.matcher(timeOutput);
        if (!m.find()) {
            throw new IOException(pod + ": no elapsed time in the output of time: "
                    + timeOutput.strip());
        }
        return Math.max(0.01, Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2)));
    }
}
