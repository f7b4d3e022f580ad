package io.podvisor.it.bench;

import io.podvisor.it.HostProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The host processes of one pod: the shim containerd started for the sandbox and everything
 * under it (podvisor: the VMM and virtiofsd; runc: pause and the containers' processes).
 */
record PodProcesses(String sandboxId, ProcessHandle shim, List<ProcessHandle> vmm, List<ProcessHandle> virtiofsd,
                    List<ProcessHandle> others) {

    static PodProcesses of(String sandboxId) throws IOException {
        List<ProcessHandle> shims = ProcessHandle.allProcesses()
                .filter(p -> isShimOf(HostProcesses.cmdline(p), sandboxId)).toList();
        if (shims.size() != 1) {
            throw new IOException("expected one shim process for pod " + sandboxId + ", found " + shims.size());
        }
        ProcessHandle shim = shims.getFirst();
        List<ProcessHandle> vmm = new ArrayList<>();
        List<ProcessHandle> virtiofsd = new ArrayList<>();
        List<ProcessHandle> others = new ArrayList<>();
        shim.descendants().forEach(p -> {
            String cmd = HostProcesses.cmdline(p);
            if (cmd.contains("qemu-system") || cmd.contains("cloud-hypervisor")) {
                vmm.add(p);
            } else if (cmd.contains("virtiofsd")) {
                virtiofsd.add(p);
            } else if (!cmd.isEmpty()) {
                others.add(p);
            }
        });
        return new PodProcesses(sandboxId, shim, vmm, virtiofsd, others);
    }

    private static boolean isShimOf(String cmdline, String sandboxId) {
        // The short-lived "start" invocation has the same arguments and ends with "start".
        return !cmdline.endsWith(" start")
                && (cmdline.contains(" -id " + sandboxId + " ") || cmdline.endsWith(" -id " + sandboxId));
    }

    /** CPU time (user + system, in clock ticks of 10 ms) the pod's processes have used so far. */
    long cpuTicks() throws IOException {
        long ticks = cpuTicks(shim);
        for (List<ProcessHandle> group : List.of(vmm, virtiofsd, others)) {
            for (ProcessHandle p : group) {
                ticks += cpuTicks(p);
            }
        }
        return ticks;
    }

    /** utime and stime, fields 14 and 15 of /proc/PID/stat, counted after the command name's ")". */
    static long cpuTicks(ProcessHandle process) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    PodMemory memory() throws IOException {
        return new PodMemory(ProcessMemory.of(shim.pid()), sum(vmm), sum(virtiofsd), sum(others));
    }

    private static ProcessMemory sum(List<ProcessHandle> processes) throws IOException {
        ProcessMemory total = ProcessMemory.NONE;
        for (ProcessHandle p : processes) {
            total = total.plus(ProcessMemory.of(p.pid()));
        }
        return total;
    }

    /**
     * The pod's hybrid vsock socket: {@code vsock.sock} in the pod directory under {@code podsDir}
     * whose path the VMM's command line names (its sockets and console live there).
     */
    Path vsockSocket(Path podsDir) throws IOException {
        if (vmm.isEmpty()) {
            throw new IOException("pod " + sandboxId + " has no VMM process under its shim");
        }
        String cmd = HostProcesses.cmdline(vmm.getFirst());
        try (Stream<Path> dirs = Files.list(podsDir)) {
            return dirs.filter(d -> cmd.contains(d.toString() + "/"))
                    .map(d -> d.resolve("vsock.sock"))
                    .filter(Files::exists)
                    .findFirst()
                    .orElseThrow(() -> new IOException("no vsock.sock of pod " + sandboxId + " in " + podsDir
                            + " matches its VMM's command line"));
        }
    }

    /** Memory of the pod's host processes, by role. */
    record PodMemory(ProcessMemory shim, ProcessMemory vmm, ProcessMemory virtiofsd, ProcessMemory others) {
        ProcessMemory total() {
            return shim.plus(vmm).plus(virtiofsd).plus(others);
        }

        /** The pod's host PSS beyond guest RAM: PSS minus the shared-memory (memfd guest RAM) part. */
        double pssWithoutGuestRamMiB() {
            return (total().pssKiB() - total().pssShmemKiB()) / 1024.0;
        }
    }
}
