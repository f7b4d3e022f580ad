package io.podvisor.shim.task;

import com.google.protobuf.Any;
import io.podvisor.proto.containerd.types.Mount;
import io.podvisor.shim.io.ProcessIo;
import java.util.List;

/**
 * A container to create: its id, its OCI bundle (config.json parsed), the rootfs mounts containerd
 * passed (to be mounted by the implementation), the init process's stdio, the runtime options and
 * a callback to report that the container ran out of memory.
 */
public record ContainerRequest(String id, OciBundle bundle, List<Mount> rootfs, ProcessIo io, Any options,
        Runnable reportOom) {
}
