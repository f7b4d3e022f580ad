package io.podvisor.shim.task;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;

/**
 * One container in the sandbox. The Task service calls these only in legal states (it keeps the
 * states); an implementation reports failures as {@link TaskException}s naming the container.
 */
public interface Container {
    /** The container's init process, created with the container. */
    ContainerProcess init();

    /** Creates (not starts) an additional process in the container. */
    ContainerProcess exec(ExecRequest request) throws TaskException;

    /** The processes running in the container, with the exec id for those started by exec. */
    List<ProcessPid> pids() throws TaskException;

    void pause() throws TaskException;

    void resume() throws TaskException;

    /**
     * New resource limits: {@code resources} is an OCI LinuxResources as JSON (type URL
     * types.containerd.io/opencontainers/runtime-spec/1/LinuxResources), possibly unset.
     */
    void update(Any resources, Map<String, String> annotations) throws TaskException;

    /** The container's statistics, e.g. an io.containerd.cgroups.v2.Metrics. */
    Message stats() throws TaskException;

    /** The init process has exited (or never started): release the container's rootfs, mounts and guest state. */
    void delete() throws TaskException;
}
