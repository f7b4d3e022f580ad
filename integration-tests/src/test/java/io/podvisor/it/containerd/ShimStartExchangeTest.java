package io.podvisor.it.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.podvisor.it.Checkout;
import io.podvisor.proto.containerd.runtime.bootstrap.v1.BootstrapParams;
import io.podvisor.proto.containerd.runtime.bootstrap.v1.Extension;
import io.podvisor.proto.containerd.runtime.bootstrap.v1.LogLevel;
import io.podvisor.proto.containerd.runtimeoptions.v1.Options;
import io.podvisor.proto.containerd.services.version.v1.VersionGrpc;
import io.podvisor.proto.containerd.services.version.v1.VersionResponse;
import io.podvisor.proto.containerd.task.v2.ConnectRequest;
import io.podvisor.proto.containerd.task.v2.ConnectResponse;
import io.podvisor.proto.containerd.task.v2.CreateTaskRequest;
import io.podvisor.proto.containerd.task.v2.CreateTaskResponse;
import io.podvisor.proto.containerd.task.v2.DeleteResponse;
import io.podvisor.proto.containerd.task.v2.ShutdownRequest;
import io.podvisor.proto.containerd.task.v2.StateRequest;
import io.podvisor.proto.containerd.task.v2.StateResponse;
import io.podvisor.shim.ttrpc.TtrpcClient;
import io.podvisor.shim.ttrpc.TtrpcException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd 2.3's {@code start} exchange with the shim binary (install/containerd-shim-podvisor-v2, or the one in
 * {@code -Dpodvisor.shimDir}, such as the native shim): BootstrapParams protobuf on stdin, the JSON reply of
 * version 3 on stdout, then the Task API v3 on the address it names; and containerd 1.7's, which the shim asks
 * for its version over gRPC. No VM: nothing is created before a task is, and the one task created here fails on
 * its missing guest image.
 */
@Timeout(120)
class ShimStartExchangeTest {
    private static final String ID = "pv-bootstrap";
    private static final String NAMESPACE = "podvisor-start";

    @TempDir
    Path tmp;
    private Path bundle;
    private Path socketDir;
    private Path podvisorConfig;
    /** Environment for the shim commands a test runs, beside the test's own. */
    private final java.util.Map<String, String> env = new java.util.HashMap<>();

    @AfterEach
    void removeSocketDir() throws IOException {
        Files.deleteIfExists(socketDir);
    }

    @BeforeEach
    void bundle() throws IOException {
        bundle = Files.createDirectories(tmp.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"),
                "{\"ociVersion\": \"1.1.0\", \"process\": {\"args\": [\"true\"], \"cwd\": \"/\"}, \"root\": {\"path\": \"rootfs\"}}");
        // Short: a unix socket path has at most 107 bytes; the shim's socket name (and its name while it binds) takes 81.
        socketDir = Files.createDirectories(Path.of("/tmp/pvs" + ProcessHandle.current().pid()));
        podvisorConfig = Files.writeString(tmp.resolve("podvisor.toml"), "default_vcpus = 1\n");
    }

    private BootstrapParams.Builder params(String containerdVersion) {
        return BootstrapParams.newBuilder().setInstanceId(ID).setNamespace(NAMESPACE).setLogLevel(LogLevel.LOG_LEVEL_INFO)
                .setContainerdVersion(containerdVersion)
                .setContainerdGrpcAddress(tmp.resolve("containerd.sock").toString())
                .setContainerdTtrpcAddress(tmp.resolve("containerd.sock.ttrpc").toString())
                .setContainerdBinary("/usr/bin/containerd")
                .setSocketDir(socketDir.toString());
    }

    private static Extension options(Options options) {
        return Extension.newBuilder().setValue(Any.pack(options, "type.googleapis.com")).build();
    }

    private record Started(int exitCode, String output) {}

    /** Runs {@code start} as containerd 2.3 does: its flags, the bundle as cwd, BootstrapParams on stdin. */
    private Started start(BootstrapParams params) throws Exception {
        return run("start", params.getContainerdGrpcAddress(), params.getContainerdBinary(), params);
    }

    /** Runs the shim binary's {@code action} with containerd's flags, the bundle as cwd, {@code stdin} on its stdin. */
    private Started run(String action, String grpcAddress, String publishBinary, com.google.protobuf.MessageLite stdin)
            throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Checkout.shimDir().resolve("containerd-shim-podvisor-v2").toString(),
                "-namespace", NAMESPACE, "-address", grpcAddress,
                "-publish-binary", publishBinary, "-id", ID, action)
                .directory(bundle.toFile())
                .redirectErrorStream(true); // containerd reads the two as one
        builder.environment().putAll(env);
        Process start = builder.start();
        CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> {
            try {
                return start.getInputStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (OutputStream in = start.getOutputStream()) {
            stdin.writeTo(in);
        }
        assertTrue(start.waitFor(60, TimeUnit.SECONDS), action + " did not finish in 60 s");
        return new Started(start.exitValue(), new String(output.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }

    /** A shim whose start failed after it listened (containerd never dials it) ends and removes its socket. */
    @Test
    void aShimNothingConnectsToEndsAndRemovesItsSocket() throws Exception {
        env.put("PODVISOR_SHIM_CONNECT_TIMEOUT_SECONDS", "2");

        Started started = start(params("v2.3.0").build());

        assertEquals(0, started.exitCode(), started.output());
        Path socket = Path.of(new ObjectMapper().readTree(started.output()).path("address").asText()
                .substring("unix://".length()));
        assertTrue(Files.exists(socket), "the shim listens on " + socket);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertFalse(Files.exists(socket), "the shim nothing connected to ended and removed " + socket);
    }

    @Test
    void bootstrapParamsInJsonVersion3OutAndTheTaskApiV3There() throws Exception {
        BootstrapParams params = params("v2.3.0")
                .addExtensions(options(Options.newBuilder().setConfigPath(podvisorConfig.toString()).build())).build();

        Started started = start(params);

        assertEquals(0, started.exitCode(), started.output());
        JsonNode reply = new ObjectMapper().readTree(started.output());
        assertEquals(3, reply.path("version").asInt(), started.output());
        assertEquals("ttrpc", reply.path("protocol").asText(), started.output());
        String address = reply.path("address").asText();
        assertTrue(address.startsWith("unix://" + socketDir + "/"), "socket in the socket_dir containerd named: " + address);
        Path socket = Path.of(address.substring("unix://".length()));
        assertEquals(address, Files.readString(bundle.resolve("address")));

        try (TtrpcClient client = TtrpcClient.forSocket(socket)) {
            ConnectResponse connect = client.call("containerd.task.v3.Task", "Connect",
                    ConnectRequest.newBuilder().setId(ID).build(), ConnectResponse.parser(), Duration.ofSeconds(10));
            Optional<ProcessHandle> shim = ProcessHandle.of(connect.getShimPid());
            assertTrue(shim.isPresent() && shim.get().isAlive(), "shim pid " + connect.getShimPid());
            client.call("containerd.task.v3.Task", "Shutdown", ShutdownRequest.newBuilder().setId(ID).build(),
                    Empty.parser(), Duration.ofSeconds(10));
            shim.get().onExit().get(30, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(socket), "socket " + socket + " removed when the shim exits");
    }

    /**
     * containerd 1.7: the runtime options as a bare Any on stdin, the version asked of containerd's gRPC socket
     * (the shim's parent is no containerd binary here), JSON version 2 out, then the Task API v2. A sandbox
     * container whose guest image is missing is refused naming the image directory; {@code delete} answers as for
     * a killed shim.
     */
    @Test
    void containerd17IsAskedItsVersionAndTheTaskApiV2ServesCreateAndDelete() throws Exception {
        Path missingImage = tmp.resolve("no-image");
        Files.writeString(podvisorConfig, "image_dir = \"" + missingImage + "\"\ndefault_vcpus = 1\n");
        Files.writeString(bundle.resolve("config.json"), """
                {"ociVersion": "1.1.0", "process": {"args": ["/pause"], "cwd": "/"}, "root": {"path": "rootfs"},
                 "annotations": {"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-id": "%s",
                                 "io.kubernetes.cri.sandbox-name": "exchange", "io.kubernetes.cri.sandbox-namespace": "default"},
                 "linux": {"resources": {"memory": {"limit": 134217728}}}}
                """.formatted(ID));
        Path containerdSocket = tmp.resolve("containerd.sock");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Server containerd = NettyServerBuilder.forAddress(new DomainSocketAddress(containerdSocket.toString()))
                .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(new FixedVersion("v1.7.24")).build().start();
        try {
            Started started = run("start", containerdSocket.toString(), "/usr/bin/containerd",
                    Any.pack(Options.newBuilder().setConfigPath(podvisorConfig.toString()).build(), "type.googleapis.com"));

            assertEquals(0, started.exitCode(), started.output());
            JsonNode reply = new ObjectMapper().readTree(started.output());
            assertEquals(2, reply.path("version").asInt(), started.output());
            Path socket = Path.of(reply.path("address").asText().substring("unix://".length()));
            try (TtrpcClient client = TtrpcClient.forSocket(socket)) {
                ConnectResponse connect = client.call("containerd.task.v2.Task", "Connect",
                        ConnectRequest.newBuilder().setId(ID).build(), ConnectResponse.parser(), Duration.ofSeconds(10));
                ProcessHandle shim = ProcessHandle.of(connect.getShimPid()).orElseThrow();
                TtrpcException create = assertThrows(TtrpcException.class, () -> client.call("containerd.task.v2.Task",
                        "Create", CreateTaskRequest.newBuilder().setId(ID).setBundle(bundle.toString()).build(),
                        CreateTaskResponse.parser(), Duration.ofSeconds(30)));
                assertTrue(create.getMessage().contains(missingImage.toString()), create.toString());
                TtrpcException state = assertThrows(TtrpcException.class, () -> client.call("containerd.task.v2.Task",
                        "State", StateRequest.newBuilder().setId(ID).build(), StateResponse.parser(), Duration.ofSeconds(10)));
                assertEquals(com.google.rpc.Code.NOT_FOUND, state.code(), state.toString());
                client.call("containerd.task.v2.Task", "Shutdown", ShutdownRequest.newBuilder().setId(ID).build(),
                        Empty.parser(), Duration.ofSeconds(10));
                shim.onExit().get(30, TimeUnit.SECONDS);
            }
            assertFalse(Files.exists(socket), "socket " + socket + " removed when the shim exits");

            Process delete = new ProcessBuilder(Checkout.shimDir().resolve("containerd-shim-podvisor-v2").toString(),
                    "-namespace", NAMESPACE, "-address", containerdSocket.toString(), "-publish-binary",
                    "/usr/bin/containerd", "-id", ID, "-bundle", bundle.toString(), "delete")
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectError(tmp.resolve("delete.err").toFile()).start();
            byte[] deleted = delete.getInputStream().readAllBytes();
            assertTrue(delete.waitFor(60, TimeUnit.SECONDS), "delete did not finish in 60 s");
            assertEquals(0, delete.exitValue(), Files.readString(tmp.resolve("delete.err")));
            assertEquals(128 + 9, DeleteResponse.parseFrom(deleted).getExitStatus(), Files.readString(tmp.resolve("delete.err")));
        } finally {
            containerd.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    private static final class FixedVersion extends VersionGrpc.VersionImplBase {
        private final String version;

        FixedVersion(String version) {
            this.version = version;
        }

        @Override
        public void version(Empty request, StreamObserver<VersionResponse> response) {
            response.onNext(VersionResponse.newBuilder().setVersion(version).setRevision("test").build());
            response.onCompleted();
        }
    }

    @Test
    void theRuntimeOptionsConfigPathIsTheShimsConfig() throws Exception {
        Files.writeString(podvisorConfig, "no_such_key = 1\n");
        BootstrapParams params = params("2.3.0")
                .addExtensions(options(Options.newBuilder().setConfigPath(podvisorConfig.toString()).build())).build();

        Started started = start(params);

        assertNotEquals(0, started.exitCode(), started.output());
        assertTrue(started.output().contains("no_such_key") && started.output().contains(podvisorConfig.toString()),
                started.output());
    }

    @Test
    void aSocketDirTooLongForAUnixSocketIsNamed() throws Exception {
        Path longDir = Files.createDirectories(tmp.resolve("a-socket-dir-whose-name-is-long"));
        Started started = start(params("v2.3.0").setSocketDir(longDir.toString()).build());

        assertNotEquals(0, started.exitCode(), started.output());
        assertTrue(started.output().contains("socket_dir " + longDir + " is too long"), started.output());
    }

    @Test
    void anUnsupportedContainerdIsNamed() throws Exception {
        Started started = start(params("v1.6.38").build());

        assertNotEquals(0, started.exitCode(), started.output());
        assertTrue(started.output().contains("containerd v1.6.38 is not supported: podvisor supports containerd 1.7 and 2.x"),
                started.output());
    }

    @Test
    void anUnknownRuntimeOptionIsRefusedByName() throws Exception {
        // [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.podvisor.options] Memory = 512
        BootstrapParams params = params("v2.3.0").addExtensions(options(Options.newBuilder()
                .setConfigBody(ByteString.copyFromUtf8("Memory = 512\n")).build())).build();

        Started started = start(params);

        assertNotEquals(0, started.exitCode(), started.output());
        assertTrue(started.output().contains("unknown runtime option Memory"), started.output());
        try (var left = Files.list(socketDir)) {
            assertEquals(0, left.count(), "no shim started");
        }
    }
}
