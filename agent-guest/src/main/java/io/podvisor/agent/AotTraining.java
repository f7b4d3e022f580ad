package io.podvisor.agent;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.GetGuestInfoRequest;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.proto.agent.v1.ShutdownRequest;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Drives the training run of the agent's AOT cache, from outside: rootfs-builder runs
 * {@code java -cp agent.jar io.podvisor.agent.AotTraining AGENT-COMMAND...}, where the command starts the
 * agent with {@code -XX:AOTCacheOutput}. This process starts it on a unix socket, waits for its readiness
 * line, calls every RPC the way the host does, shuts it down and checks that it exited cleanly. Only the
 * agent's own classes end up in the cache: the client runs in this JVM, not the agent's.
 */
public final class AotTraining {

    private static final long TIMEOUT_SECONDS = 120;

    private AotTraining() {}

    public static void main(String[] agentCommand) throws Exception {
        if (agentCommand.length == 0) {
            System.err.println("usage: AotTraining AGENT-COMMAND... (the agent gets --listen, --ready, --run-dir and"
                    + " --crun appended)");
            System.exit(2);
        }
        Path dir = Files.createTempDirectory("podvisor-aot-training");
        Path socket = dir.resolve("agent.sock");
        Path ready = dir.resolve("ready.sock");
        try (ServerSocketChannel readyListener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            readyListener.bind(UnixDomainSocketAddress.of(ready));
            List<String> command = new ArrayList<>(Arrays.asList(agentCommand));
            command.addAll(List.of("--listen", "unix:" + socket, "--ready", "unix:" + ready));
            command.addAll(ContainerTraining.agentArguments(dir));
            Process agent = new ProcessBuilder(command).inheritIO().start();
            try {
                String line = readLine(readyListener);
                if (!line.startsWith("READY ")) {
                    throw new IllegalStateException("the agent announced \"" + line + "\" instead of READY");
                }
                exercise(socket);
                if (!agent.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the agent did not exit after Shutdown");
                }
                if (agent.exitValue() != 0) {
                    throw new IllegalStateException("the agent exited with status " + agent.exitValue());
                }
            } finally {
                agent.destroyForcibly();
                Files.deleteIfExists(socket);
                Files.deleteIfExists(ready);
                ContainerTraining.deleteRunDir(dir);
                Files.deleteIfExists(dir);
            }
        }
    }

    private static String readLine(ServerSocketChannel listener) throws Exception {
        try (SocketChannel peer = listener.accept(); InputStream in = Channels.newInputStream(peer)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
    }

    private static void exercise(Path socket) throws Exception {
        var group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
        try {
            AgentGrpc.newBlockingStub(channel).getGuestInfo(GetGuestInfoRequest.getDefaultInstance());
            AgentGrpc.AgentStub stub = AgentGrpc.newStub(channel);
            run(stub, ProcessStart.newBuilder().addAllArgs(List.of("sh", "-c", "cat; echo err >&2; exit 3")).build(),
                    "training input\n");
            run(stub, ProcessStart.newBuilder().addAllArgs(List.of("sh", "-c", "read l; echo $l; stty size"))
                    .setTerminal(true).setRows(24).setColumns(80).build(), "training input\n");
            run(stub, ProcessStart.newBuilder().addArgs("no-such-command-for-training").build(), "");
            ContainerTraining.exercise(channel, (start, stdin) -> run(stub, start, stdin));
            AgentGrpc.newBlockingStub(channel).shutdown(ShutdownRequest.getDefaultInstance());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    static void run(AgentGrpc.AgentStub stub, ProcessStart start, String stdin) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<ProcessInput> input = stub.runProcess(new StreamObserver<>() {
            @Override
            public void onNext(ProcessOutput output) {}

            @Override
            public void onError(Throwable t) {
                done.countDown();
            }

            @Override
            public void onCompleted() {
                done.countDown();
            }
        });
        input.onNext(ProcessInput.newBuilder().setStart(start).build());
        input.onNext(ProcessInput.newBuilder().setStdin(ByteString.copyFromUtf8(stdin)).build());
        if (!start.getTerminal()) {
            input.onNext(ProcessInput.newBuilder().setStdinEof(true).build());
        }
        input.onCompleted();
        if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("training process " + start.getArgsList() + " did not finish");
        }
    }
}
