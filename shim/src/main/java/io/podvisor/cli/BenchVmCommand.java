package io.podvisor.cli;

import io.podvisor.proto.agent.v1.GuestInfo;
import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code podvisor bench vm}: boots VMs one after another and reports, over all boots, QEMU start
 * to agent ready, host memory of the VMM and of the process hosting the vsock backend, the
 * agent's memory in the guest, and host↔guest throughput over vsock.
 */
final class BenchVmCommand {
    private static final long TRANSFER_BYTES = 64L << 20;

    private final PodvisorConfig config;
    private final VmOptions options;
    private final PrintStream out;

    BenchVmCommand(PodvisorConfig config, VmOptions options, PrintStream out) {
        this.config = config;
        this.options = options;
        this.out = out;
    }

    int run() throws IOException {
        List<Double> ready = new ArrayList<>();
        List<Double> vmmRss = new ArrayList<>();
        List<Double> vmmPss = new ArrayList<>();
        List<Double> backendRss = new ArrayList<>();
        List<Double> agentRss = new ArrayList<>();
        List<Double> toGuest = new ArrayList<>();
        List<Double> fromGuest = new ArrayList<>();
        for (int i = 1; i <= options.boots(); i++) {
            try (ThrowawayVm vm = ThrowawayVm.create(config, options)) {
                long start = System.nanoTime();
                AgentClient agent = vm.boot(config.agentReadyTimeout());
                ready.add((System.nanoTime() - start) / 1e9);
                GuestInfo info = agent.guestInfo();
                agentRss.add(info.getAgentRssBytes() / 1048576.0);
                toGuest.add(throughput(agent, List.of("sh", "-c", "cat >/dev/null"), new ZeroInput(TRANSFER_BYTES),
                        OutputStream.nullOutputStream()));
                fromGuest.add(throughput(agent, List.of("head", "-c", String.valueOf(TRANSFER_BYTES), "/dev/zero"),
                        InputStream.nullInputStream(), OutputStream.nullOutputStream()));
                long vmmPid = vm.vm().hostProcesses().getFirst().pid();
                vmmRss.add(MemoryStat.rssMiB(vmmPid));
                vmmPss.add(MemoryStat.pssMiB(vmmPid));
                backendRss.add(MemoryStat.rssMiB(ProcessHandle.current().pid()));
                out.printf("boot %d/%d: agent ready after %.2f s%n", i, options.boots(), ready.getLast());
            }
        }
        out.printf("%n%-44s %8s %8s %8s%n", "over " + options.boots() + " boots", "median", "min", "max");
        row("QEMU start -> agent ready (s)", ready);
        row("VMM (QEMU) RSS (MiB)", vmmRss);
        row("VMM (QEMU) PSS (MiB)", vmmPss);
        row("vsock backend host process RSS (MiB) [1]", backendRss);
        row("agent RSS in the guest (MiB)", agentRss);
        row("vsock host -> guest, gRPC stdin (MB/s)", toGuest);
        row("vsock guest -> host, gRPC stdout (MB/s)", fromGuest);
        out.println("[1] the vhost-user-vsock backend runs inside this CLI's JVM (the shim's, for pods)");
        return 0;
    }

    private void row(String what, List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        out.printf("%-44s %8.2f %8.2f %8.2f%n", what, sorted.get(sorted.size() / 2), sorted.getFirst(), sorted.getLast());
    }

    private static double throughput(AgentClient agent, List<String> args, InputStream in, OutputStream sink)
            throws IOException {
        long start = System.nanoTime();
        ProcessExit exit = agent.run(ProcessStart.newBuilder().addAllArgs(args).setCwd("/").build(), in, sink, sink);
        if (exit.getExitCode() != 0) {
            throw new IOException("benchmark command " + args + " exited " + exit.getExitCode());
        }
        return TRANSFER_BYTES / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    /** {@code size} zero bytes. */
    private static final class ZeroInput extends InputStream {
        private long left;

        ZeroInput(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            return left-- > 0 ? 0 : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }

    /** Memory figures of a host process from /proc. */
    static final class MemoryStat {
        private MemoryStat() {}

        static double rssMiB(long pid) throws IOException {
            return kibField(Path.of("/proc", String.valueOf(pid), "status"), "VmRSS:") / 1024.0;
        }

        static double pssMiB(long pid) throws IOException {
            return kibField(Path.of("/proc", String.valueOf(pid), "smaps_rollup"), "Pss:") / 1024.0;
        }

        private static long kibField(Path file, String field) throws IOException {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).replace("kB", "").strip());
                }
            }
            throw new IOException(file + " has no " + field);
        }
    }
}
