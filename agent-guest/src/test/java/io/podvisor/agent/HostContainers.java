package io.podvisor.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * What the container tests need from this host: crun, a cgroup2 hierarchy for it, and a busybox root
 * filesystem. On a host with cgroup v1 controllers beside a cgroup2 mount at /sys/fs/cgroup/unified
 * ("hybrid"), crun refuses to run; a wrapper then shows crun that cgroup2 mount as /sys/fs/cgroup in a
 * private mount namespace, as a cgroup2-only guest has it.
 */
final class HostContainers {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CGROUP = Path.of("/sys/fs/cgroup");
    private static final Path UNIFIED = Path.of("/sys/fs/cgroup/unified");
    private static final List<String> APPLETS = List.of("sh", "echo", "cat", "sleep", "id", "pwd", "env", "tty",
            "stty", "ls", "head", "true", "false", "tr", "wc");

    /** The crun command the agent runs and the cgroup2 mount it creates container cgroups in. */
    record Runtime(String crun, Path cgroupRoot) {}

    private HostContainers() {}

    static Runtime runtime(Path dir) throws IOException {
        Path crun = Path.of("/usr/bin/crun");
        if (!Files.isExecutable(crun)) {
            throw new IllegalStateException("the container tests need crun: apt-get install crun");
        }
        if (Files.exists(CGROUP.resolve("cgroup.controllers"))) {
            return new Runtime(crun.toString(), CGROUP);
        }
        if (Files.exists(UNIFIED.resolve("cgroup.controllers"))) {
            Path wrapper = dir.resolve("crun-on-cgroup2");
            Files.writeString(wrapper, """
                    #!/bin/sh
                    exec unshare --mount --propagation private sh -c \
                        'mount --bind %s %s && exec "$0" "$@"' %s "$@"
                    """.formatted(UNIFIED, CGROUP, crun));
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new Runtime(wrapper.toString(), UNIFIED);
        }
        throw new IllegalStateException("this host has no cgroup2 hierarchy at " + CGROUP + " or " + UNIFIED);
    }

    /** A root filesystem of busybox applets, /work owned by uid 1000 and a world-writable /tmp. */
    static Path busyboxRootfs(Path dir) throws IOException {
        Path rootfs = dir.resolve("rootfs");
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        for (String empty : List.of("proc", "dev", "sys", "etc", "tmp", "work")) {
            Files.createDirectories(rootfs.resolve(empty));
        }
        Files.setPosixFilePermissions(rootfs, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(rootfs.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setAttribute(rootfs.resolve("work"), "unix:uid", 1000);
        Files.setAttribute(rootfs.resolve("work"), "unix:gid", 1000);
        return rootfs;
    }

    /**
     * An OCI spec as containerd writes one for the host: a network namespace by path, a hook that exists only
     * on the host, and no device rules (this host's crun cannot load them without CAP_SYS_RESOURCE).
     */
    static ObjectNode spec(String... args) {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("ociVersion", "1.0.2");
        ObjectNode process = spec.putObject("process");
        process.put("terminal", false);
        process.putObject("user").put("uid", 0).put("gid", 0);
        ArrayNode argv = process.putArray("args");
        for (String arg : args) {
            argv.add(arg);
        }
        process.putArray("env").add("PATH=/bin").add("TERM=xterm");
        process.put("cwd", "/");
        ObjectNode capabilities = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            capabilities.putArray(set).add("CAP_KILL").add("CAP_NET_BIND_SERVICE").add("CAP_AUDIT_WRITE");
        }
        process.putArray("rlimits").addObject().put("type", "RLIMIT_NOFILE").put("hard", 1024).put("soft", 1024);
        process.put("noNewPrivileges", true);
        process.put("apparmorProfile", "cri-containerd.apparmor.d");
        spec.putObject("root").put("path", "rootfs").put("readonly", true);
        spec.put("hostname", "podvisor-test");
        ArrayNode mounts = spec.putArray("mounts");
        mounts.addObject().put("destination", "/proc").put("type", "proc").put("source", "proc");
        mounts.addObject().put("destination", "/dev").put("type", "tmpfs").put("source", "tmpfs")
                .putArray("options").add("nosuid").add("strictatime").add("mode=755").add("size=65536k");
        mounts.addObject().put("destination", "/dev/pts").put("type", "devpts").put("source", "devpts")
                .putArray("options").add("nosuid").add("noexec").add("newinstance").add("ptmxmode=0666")
                .add("mode=0620");
        mounts.addObject().put("destination", "/sys").put("type", "sysfs").put("source", "sysfs")
                .putArray("options").add("nosuid").add("noexec").add("nodev").add("ro");
        ObjectNode linux = spec.putObject("linux");
        ArrayNode namespaces = linux.putArray("namespaces");
        namespaces.addObject().put("type", "pid");
        namespaces.addObject().put("type", "network").put("path", "/var/run/netns/cni-host-only");
        namespaces.addObject().put("type", "ipc");
        namespaces.addObject().put("type", "uts");
        namespaces.addObject().put("type", "mount");
        linux.putArray("maskedPaths").add("/proc/kcore").add("/proc/keys");
        linux.putArray("readonlyPaths").add("/proc/sys").add("/proc/sysrq-trigger");
        spec.putObject("hooks").putArray("prestart").addObject().put("path", "/usr/libexec/host-only-hook");
        return spec;
    }

    /** An exec's OCI process object. */
    static ObjectNode process(String... args) {
        ObjectNode process = (ObjectNode) spec(args).get("process").deepCopy();
        process.remove("apparmorProfile");
        return process;
    }
}
