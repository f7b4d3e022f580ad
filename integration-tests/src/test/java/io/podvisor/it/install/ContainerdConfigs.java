package io.podvisor.it.install;

/** containerd 1.7 (version 2) and 2.x (version 3) configs as nodes have them. */
final class ContainerdConfigs {
    private ContainerdConfigs() {}

    /** What Debian's containerd package installs: CRI settings, no runtimes, no imports. */
    static final String DEBIAN_PACKAGE = """
            version = 2

            [plugins]
              [plugins."io.containerd.grpc.v1.cri"]
                [plugins."io.containerd.grpc.v1.cri".cni]
                  bin_dir = "/usr/lib/cni"
                  conf_dir = "/etc/cni/net.d"
              [plugins."io.containerd.internal.v1.opt"]
                path = "/var/lib/containerd/opt"
            """;

    /** A kubeadm-style node: systemd cgroups for runc, a pause image, and an imports line already. */
    static final String KUBERNETES_NODE = """
            version = 2
            root = "/var/lib/containerd"
            state = "/run/containerd"
            imports = ["/etc/containerd/registries.toml"]

            [grpc]
              address = "/run/containerd/containerd.sock"

            [plugins]
              [plugins."io.containerd.grpc.v1.cri"]
                sandbox_image = "registry.k8s.io/pause:3.9"
                restrict_oom_score_adj = true
                [plugins."io.containerd.grpc.v1.cri".containerd]
                  default_runtime_name = "runc"
                  snapshotter = "overlayfs"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                      runtime_type = "io.containerd.runc.v2"
                      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                        SystemdCgroup = true
                [plugins."io.containerd.grpc.v1.cri".cni]
                  bin_dir = "/opt/cni/bin"
                  conf_dir = "/etc/cni/net.d"
              [plugins."io.containerd.gc.v1.scheduler"]
                pause_threshold = 0.02
            """;

    /** The file KUBERNETES_NODE imports: no CRI settings of its own. */
    static final String REGISTRIES = """
            version = 2

            [debug]
              level = "info"
            """;

    /** Written by hand: tabs, comments, a multi-line imports array and no newline at the end. */
    static final String HAND_WRITTEN = "# containerd on node-7\r\nversion = 2\nimports = [\n\t\"/etc/containerd/registries.toml\",\n]"
            + "\n\n[plugins.\"io.containerd.grpc.v1.cri\"]\t# CRI\n\tsandbox_image = \"example.org/pause:1\"";

    /** A containerd 2.x node: version 3, the CRI runtime and images plugins, systemd cgroups for runc. */
    static final String CONTAINERD_2_NODE = """
            version = 3
            root = "/var/lib/containerd"
            state = "/run/containerd"
            imports = ["/etc/containerd/registries.toml"]

            [plugins]
              [plugins."io.containerd.cri.v1.images".pinned_images]
                sandbox = "registry.k8s.io/pause:3.10"
              [plugins."io.containerd.cri.v1.runtime"]
                [plugins."io.containerd.cri.v1.runtime".containerd]
                  default_runtime_name = "runc"
                  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
                      SystemdCgroup = true
                [plugins."io.containerd.cri.v1.runtime".cni]
                  bin_dirs = ["/opt/cni/bin"]
                  conf_dir = "/etc/cni/net.d"
            """;

    /** containerd 2.x's smallest config: the version and nothing else. */
    static final String CONTAINERD_2_MINIMAL = "version = 3\n";
}
