package io.podvisor.it.bench;

import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.AgentException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;

/** Host↔guest hybrid vsock figures through the agent's gRPC API: round trips and bulk streams. */
final class VsockProbe {
    static final long TRANSFER_BYTES = 32L << 20;
    private static final int ROUND_TRIPS = 20;

    private VsockProbe() {}

    static void measure(AgentClient agent, Results results) throws IOException {
        agent.guestInfo();
        for (int i = 0; i < ROUND_TRIPS; i++) {
            long start = System.nanoTime();
            agent.guestInfo();
            results.add(Measure.VSOCK_RTT, Results.PODVISOR, (System.nanoTime() - start) / 1e6);
        }
        results.add(Measure.VSOCK_TO_GUEST, Results.PODVISOR, throughput(agent,
                List.of("sh", "-c", "cat >/dev/null"), new ZeroInput(TRANSFER_BYTES)));
        results.add(Measure.VSOCK_FROM_GUEST, Results.PODVISOR, throughput(agent,
                List.of("head", "-c", Long.toString(TRANSFER_BYTES), "/dev/zero"), InputStream.nullInputStream()));
    }

    /** MB/s of a guest command that reads or writes {@link #TRANSFER_BYTES} over its stdio stream. */
    private static double throughput(AgentClient agent, List<String> args, InputStream in)
            throws AgentException, IOException {
        long start = System.nanoTime();
        ProcessExit exit = agent.run(ProcessStart.newBuilder().addAllArgs(args).setCwd("/").build(), in,
                OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
        if (exit.getExitCode() != 0) {
            throw new IOException("VM " + agent.vmName() + ": benchmark command " + args + " exited " + exit.getExitCode());
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
            Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }
}
