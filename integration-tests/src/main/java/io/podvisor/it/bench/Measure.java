package io.podvisor.it.bench;

/** What the benchmark reports: a JSON key, a title for the table and a unit. */
public enum Measure {
    VM_START("vm_start_to_agent_ready_s", "VM start -> agent ready", "s"),
    POD_START("pod_start_s", "pod start (RunPodSandbox -> first output)", "s"),
    POD_START_WARM("pod_start_warm_s", "pod start from the warm pool (runc: its cold start above)", "s"),
    WARM_IDLE_PSS("warm_pool_vm_pss_mib", "  an idle pool VM's host PSS (its shim, VMM, virtiofsd)", "MiB"),
    CONTAINER_START("container_start_s", "container start in a running pod", "s"),
    EXEC("exec_true_ms", "ExecSync of true", "ms"),
    POD_TOTAL_PSS("pod_host_pss_mib", "host memory per pod (PSS, all processes)", "MiB"),
    POD_OVERHEAD_PSS("pod_host_pss_without_guest_ram_mib", "  of which not guest RAM", "MiB"),
    SHIM_PSS("shim_pss_mib", "  shim PSS (podvisor: with its vsock backend)", "MiB"),
    VMM_PSS("vmm_pss_mib", "  VMM (QEMU) PSS", "MiB"),
    VIRTIOFSD_PSS("virtiofsd_pss_mib", "  virtiofsd PSS", "MiB"),
    GUEST_TOUCHED("guest_ram_touched_mib", "guest RAM the VMM has touched", "MiB"),
    VMM_RSS("vmm_rss_mib", "VMM (QEMU) RSS", "MiB"),
    AGENT_RSS("agent_rss_mib", "agent RSS in the guest", "MiB"),
    IDLE_CPU("pod_idle_cpu_millicores", "host CPU of an idle pod (all its processes, 5 s)", "mCPU"),
    DENSITY_POD_PSS("density_pod_host_pss_mib", "density: host PSS per pod", "MiB"),
    DENSITY_GUEST_TOUCHED("density_guest_ram_touched_mib", "density: guest RAM touched per pod", "MiB"),
    DENSITY_SHIM_PSS("density_shim_pss_mib", "density: shim PSS per pod (with its vsock backend)", "MiB"),
    DENSITY_TOTAL_PSS("density_total_host_pss_mib", "density: host PSS of all pods", "MiB"),
    VSOCK_RTT("vsock_rtt_ms", "hybrid vsock gRPC round trip (GetGuestInfo)", "ms"),
    VSOCK_TO_GUEST("vsock_to_guest_mb_s", "hybrid vsock host -> guest (32 MiB, gRPC stdin)", "MB/s"),
    VSOCK_FROM_GUEST("vsock_from_guest_mb_s", "hybrid vsock guest -> host (32 MiB, gRPC stdout)", "MB/s"),
    VIRTIOFS_READ("virtiofs_read_mb_s", "64 MiB volume file read with dd (runc: bind mount)", "MB/s");

    private final String key;
    private final String title;
    private final String unit;

    Measure(String key, String title, String unit) {
        this.key = key;
        this.title = title;
        this.unit = unit;
    }

    public String key() {
        return key;
    }

    public String title() {
        return title;
    }

    public String unit() {
        return unit;
    }
}
