package io.podvisor.agent.container;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** The guest's containers by id: creating one writes its bundle, removing one deletes it and crun's state. */
public final class ContainerRegistry {

    /** What crun and the bundle directory accept as an id (no path separators). */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}");

    private final Path bundlesDir;
    private final Path cgroupRoot;
    private final Crun crun;
    private final Path procSys;
    private final Map<String, Container> containers = new ConcurrentHashMap<>();

    public ContainerRegistry(Path bundlesDir, Path cgroupRoot, Crun crun) {
        this(bundlesDir, cgroupRoot, crun, Path.of("/proc/sys"));
    }

    /** @param procSys where the pod's network sysctls are written (the guest's {@code /proc/sys}) */
    public ContainerRegistry(Path bundlesDir, Path cgroupRoot, Crun crun, Path procSys) {
        this.bundlesDir = bundlesDir;
        this.cgroupRoot = cgroupRoot;
        this.crun = crun;
        this.procSys = procSys;
    }

    /**
     * Writes the container's bundle from the host's OCI spec; nothing starts yet.
     *
     * @throws io.grpc.StatusRuntimeException ALREADY_EXISTS for a known id, INVALID_ARGUMENT for a bad id or spec
     */
    public Container create(String id, byte[] hostSpec, String rootfsPath) throws IOException {
        if (!ID.matcher(id).matches()) {
            throw Status.INVALID_ARGUMENT.withDescription("container id \"" + id
                    + "\" is not usable in the guest (letters, digits and _.+- only, at most 128)").asRuntimeException();
        }
        if (rootfsPath.isEmpty() || !rootfsPath.startsWith("/")) {
            throw Status.INVALID_ARGUMENT.withDescription("container " + id
                    + ": rootfs_path must be an absolute guest path, not \"" + rootfsPath + "\"").asRuntimeException();
        }
        ObjectNode config;
        try {
            config = GuestSpec.rewrite(hostSpec, id, rootfsPath, sandboxId -> runningInitPid(id, sandboxId));
            NetworkSysctls.takeFrom(config).apply(procSys);
        } catch (InvalidSpecException e) {
            throw Status.INVALID_ARGUMENT.withDescription("container " + id + ": " + e.getMessage()).asRuntimeException();
        }
        synchronized (containers) {
            if (containers.containsKey(id)) {
                throw Status.ALREADY_EXISTS.withDescription("container " + id + " already exists in the guest")
                        .asRuntimeException();
            }
            GuestBundle bundle = GuestBundle.create(bundlesDir, id, config);
            Container container = new Container(id, bundle, config, new ContainerCgroup(cgroupRoot, id), crun);
            containers.put(id, container);
            return container;
        }
    }

    /** The init of a pod's sandbox container, whose namespaces container {@code id} joins. */
    private int runningInitPid(String id, String sandboxId) {
        Container sandbox = containers.get(sandboxId);
        Container.State state = sandbox == null ? null : sandbox.state();
        if (state != Container.State.RUNNING && state != Container.State.PAUSED) {
            throw Status.FAILED_PRECONDITION.withDescription("container " + id + ": its pod's sandbox container "
                    + sandboxId + (sandbox == null ? " is not in the guest" : " is not running")
                    + ", so it cannot join the sandbox's IPC and UTS namespaces").asRuntimeException();
        }
        return sandbox.initPid();
    }

    /** @throws io.grpc.StatusRuntimeException NOT_FOUND naming the id */
    public Container get(String id) {
        Container container = containers.get(id);
        if (container == null) {
            throw Status.NOT_FOUND.withDescription("no container " + id + " in the guest").asRuntimeException();
        }
        return container;
    }

    /** Kills what is left of the container and deletes it; NOT_FOUND for an unknown id. */
    public void remove(String id) throws IOException {
        Container container = get(id);
        try {
            container.destroy();
        } finally {
            containers.remove(id, container);
        }
    }

    /** Parses an OCI linux.resources object for an update. */
    public static ObjectNode resources(String id, byte[] json) {
        try {
            return GuestSpec.resources(json);
        } catch (InvalidSpecException e) {
            throw Status.INVALID_ARGUMENT.withDescription("container " + id + ": " + e.getMessage()).asRuntimeException();
        }
    }
}
