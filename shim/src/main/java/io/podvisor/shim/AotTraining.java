package io.podvisor.shim;

import com.google.protobuf.Empty;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.podvisor.proto.containerd.services.version.v1.VersionGrpc;
import io.podvisor.proto.containerd.services.version.v1.VersionResponse;
import io.podvisor.proto.containerd.task.v2.ConnectRequest;
import io.podvisor.proto.containerd.task.v2.ConnectResponse;
import io.podvisor.proto.containerd.task.v2.StateRequest;
import io.podvisor.proto.containerd.task.v2.StateResponse;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.events.ForwardingEventPublisher;
import io.podvisor.shim.task.Container;
import io.podvisor.shim.task.ContainerRequest;
import io.podvisor.shim.task.OciBundle;
import io.podvisor.shim.task.Sandbox;
import io.podvisor.shim.task.TaskException;
import io.podvisor.shim.task.TaskService;
import io.podvisor.shim.ttrpc.TtrpcClient;
import io.podvisor.shim.ttrpc.TtrpcException;
import io.podvisor.shim.ttrpc.TtrpcServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The training run for the shim's AOT cache (JEP 483/514/515; install/aot-cache.sh): walks what {@code start} and
 * the daemon do up to the first Task calls, with no containerd and no VM. It answers containerd's version
 * query with a local gRPC server, parses start's input and a bundle, reads a config file, serves the Task
 * API over ttrpc and calls it, and loads every podvisor class (the VM side included) so they come linked
 * from the cache.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("podvisor-aot-");
        try {
            train(dir);
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
        System.out.println("podvisor AOT training done");
    }

    private static void train(Path dir) throws Exception {
        ShimLog.configure(OutputStream.nullOutputStream(), "aot", true);
        Path containerd = dir.resolve("containerd.sock");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(containerd.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new FixedVersion())
                .build().start();
        try {
            startCommand(dir, containerd);
            daemon(dir);
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
        loadPodvisorClasses();
    }

    /** What {@code start} does before it spawns the daemon. */
    private static void startCommand(Path dir, Path containerd) throws Exception {
        ShimArgs args = ShimArgs.parse("-namespace", "k8s.io", "-address", containerd.toString(), "-publish-binary",
                "/usr/bin/containerd", "-id", "aot-training", "-debug", "start");
        StartTimes times = StartTimes.beginning();
        StartInput input = StartInput.parse(new byte[0], args.id());
        ContainerdVersion version = input.containerdVersion("unix://" + containerd).requireSupported();
        RuntimeOptions.from(input.options());
        StartReply.json(version.startReplyVersion(), ShimAddress.toAddress(dir.resolve("shim.sock")));
        times.withVersionQuery(1, version.source()).encode();
        Path bundle = dir.resolve("bundle");
        Files.createDirectories(bundle);
        Files.writeString(bundle.resolve("config.json"), """
                {"ociVersion": "1.1.0", "process": {"args": ["/pause"], "cwd": "/", "env": ["PATH=/bin"]},
                 "root": {"path": "rootfs"}, "hostname": "aot",
                 "annotations": {"io.kubernetes.cri.container-type": "sandbox",
                                 "io.kubernetes.cri.sandbox-id": "aot-training"},
                 "linux": {"namespaces": [{"type": "network", "path": "/var/run/netns/aot"}],
                           "resources": {"memory": {"limit": 134217728}, "cpu": {"quota": 100000, "period": 100000}}}}
                """);
        StartCommand.groupId(args.id(), bundle);
        ShimAddress.writeAddressFile(bundle, "unix://" + dir.resolve("shim.sock"));
        OciBundle.load(bundle);
    }

    /** What the daemon does up to its first Task calls. */
    private static void daemon(Path dir) throws IOException, TtrpcException {
        Path config = dir.resolve("config.toml");
        Files.writeString(config, "hypervisor = \"auto\"\ndefault_vcpus = 1\ndefault_memory_mib = 128\n");
        PodvisorConfig.load(config);
        ForwardingEventPublisher publisher = new ForwardingEventPublisher("k8s.io",
                TtrpcClient.forSocket(dir.resolve("events.sock")));
        TaskService tasks = new TaskService(new NoSandbox(), publisher, () -> { }, "aot");
        Path socket = dir.resolve("shim.sock");
        try (TtrpcServer server = TtrpcServer.bind(socket, tasks.ttrpcServices(), (message, error) -> { });
                TtrpcClient client = TtrpcClient.forSocket(socket)) {
            client.call(TaskService.SERVICE, "Connect", ConnectRequest.newBuilder().setId("aot").build(),
                    ConnectResponse.parser(), Duration.ofSeconds(10));
            try {
                client.call(TaskService.SERVICE_V3, "State", StateRequest.newBuilder().setId("none").build(),
                        StateResponse.parser(), Duration.ofSeconds(10));
            } catch (TtrpcException e) {
                // NOT_FOUND, as asked: the error path is trained too.
            }
        }
        publisher.close(Duration.ofMillis(100));
    }

    /** Loads (without initialising) every class of the shim's and the VMM drivers' jars. */
    private static void loadPodvisorClasses() throws IOException {
        ClassLoader loader = AotTraining.class.getClassLoader();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String jarName = Path.of(entry).getFileName().toString();
            if (!jarName.startsWith("podvisor-shim-") && !jarName.startsWith("podvisor-hypervisor-")) {
                continue;
            }
            try (JarFile jar = new JarFile(entry)) {
                for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                    String name = entries.nextElement().getName();
                    if (name.endsWith(".class") && !name.contains("-")) {
                        try {
                            Class.forName(name.replace('/', '.').substring(0, name.length() - 6), false, loader);
                        } catch (ClassNotFoundException | LinkageError e) {
                            // A class that needs what is not on the class path is left out of the cache.
                        }
                    }
                }
            }
        }
    }

    private static final class FixedVersion extends VersionGrpc.VersionImplBase {
        @Override
        public void version(Empty request, StreamObserver<VersionResponse> response) {
            response.onNext(VersionResponse.newBuilder().setVersion("v2.1.9").setRevision("aot").build());
            response.onCompleted();
        }
    }

    private static final class NoSandbox implements Sandbox {
        @Override
        public Container createContainer(ContainerRequest request) throws TaskException {
            throw TaskException.failedPrecondition("the AOT training run has no VM");
        }

        @Override
        public void shutdown() {
        }

        @Override
        public boolean ended() {
            return false;
        }
    }
}
