package io.podvisor.shim.vm;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.podvisor.hypervisor.VmmException;
import io.podvisor.proto.agent.v1.ContainerStatsResponse;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.proto.containerd.cgroups.v2.CPUStat;
import io.podvisor.proto.containerd.cgroups.v2.MemoryEvents;
import io.podvisor.proto.containerd.cgroups.v2.MemoryStat;
import io.podvisor.proto.containerd.cgroups.v2.Metrics;
import io.podvisor.proto.containerd.cgroups.v2.PidsStat;
import io.podvisor.shim.agent.AgentException;
import io.podvisor.shim.task.Container;
import io.podvisor.shim.task.ContainerProcess;
import io.podvisor.shim.task.ExecRequest;
import io.podvisor.shim.task.ProcessPid;
import io.podvisor.shim.task.TaskException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** One container in the pod VM; its processes run in the guest under crun. */
final class VmContainer implements Container {
    private final String id;
    private final PodVm pod;
    private final ContainerProcess init;
    private final Map<String, VmProcess> execs = new ConcurrentHashMap<>();

    VmContainer(String id, PodVm pod, ContainerProcess init) {
        this.id = id;
        this.pod = pod;
        this.init = init;
    }

    @Override
    public ContainerProcess init() {
        return init;
    }

    @Override
    public ContainerProcess exec(ExecRequest request) throws TaskException {
        ProcessStart start = ProcessStart.newBuilder()
                .setContainerId(id)
                .setExecId(request.execId())
                .setProcessJson(com.google.protobuf.ByteString.copyFromUtf8(request.processSpec().toString()))
                .setTerminal(request.io().terminal())
                .build();
        VmProcess process = new VmProcess(pod.agent(), start, request.io());
        execs.put(request.execId(), process);
        return process;
    }

    @Override
    public List<ProcessPid> pids() throws TaskException {
        try {
            Map<Integer, String> execPids = new java.util.HashMap<>();
            execs.forEach((execId, p) -> execPids.put(p.pid(), execId));
            return pod.agent().listProcesses(id).stream()
                    .map(pid -> new ProcessPid(pid, Optional.ofNullable(execPids.get(pid))))
                    .toList();
        } catch (AgentException e) {
            throw VmProcess.failed(e);
        }
    }

    @Override
    public void pause() throws TaskException {
        try {
            pod.agent().pauseContainer(id);
        } catch (AgentException e) {
            throw VmProcess.failed(e);
        }
    }

    @Override
    public void resume() throws TaskException {
        try {
            pod.agent().resumeContainer(id);
        } catch (AgentException e) {
            throw VmProcess.failed(e);
        }
    }

    @Override
    public void update(Any resources, Map<String, String> annotations) throws TaskException {
        if (resources == null || resources.getValue().isEmpty()) {
            return;
        }
        try {
            pod.agent().updateContainer(id, resources.getValue().toByteArray());
        } catch (AgentException e) {
            throw VmProcess.failed(e);
        }
    }

    @Override
    public Message stats() throws TaskException {
        try {
            return metrics(pod.agent().containerStats(id));
        } catch (AgentException e) {
            throw VmProcess.failed(e);
        }
    }

    /** containerd's cgroup v2 metrics from the guest's figures. */
    static Metrics metrics(ContainerStatsResponse s) {
        return Metrics.newBuilder()
                .setPids(PidsStat.newBuilder().setCurrent(s.getPidsCurrent()))
                .setCpu(CPUStat.newBuilder().setUsageUsec(s.getCpuUsageUsec()).setUserUsec(s.getCpuUserUsec())
                        .setSystemUsec(s.getCpuSystemUsec()))
                .setMemory(MemoryStat.newBuilder().setUsage(s.getMemoryCurrentBytes())
                        .setUsageLimit(s.getMemoryLimitBytes()).setAnon(s.getMemoryAnonBytes())
                        .setFile(s.getMemoryFileBytes()).setInactiveFile(s.getMemoryInactiveFileBytes()))
                .setMemoryEvents(MemoryEvents.newBuilder().setOomKill(s.getOomKills()))
                .build();
    }

    @Override
    public void delete() throws TaskException {
        TaskException failure = null;
        try {
            if (!pod.died()) {
                pod.agent().removeContainer(id);
            }
        } catch (AgentException e) {
            failure = VmProcess.failed(e);
        }
        try {
            pod.shared().remove(id);
        } catch (VmmException e) {
            failure = failure != null ? failure : TaskException.internal("container " + id + ": " + e.getMessage(), e);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
