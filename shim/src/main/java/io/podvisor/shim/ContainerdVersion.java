package io.podvisor.shim;

import com.google.protobuf.Empty;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.podvisor.proto.containerd.services.version.v1.VersionGrpc;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The version of the containerd that runs the shim, and what it accepts. containerd 1.7 takes a
 * {@code start} reply of version 2 at most and speaks {@code containerd.task.v2.Task}; 2.x takes
 * version 3 and then speaks {@code containerd.task.v3.Task}. Older and newer majors are refused by name.
 */
record ContainerdVersion(int major, int minor, String text, String source) {

    /**
     * containerd reads start's stdout and stderr as one reply: Netty's and gRPC's warnings (such as
     * "Unknown channel option 'SO_KEEPALIVE'" for a unix socket) must not reach stderr. Held so the
     * levels stay set.
     */
    private static final List<Logger> QUIET = List.of(Logger.getLogger("io.netty"), Logger.getLogger("io.grpc"));
    private static final Pattern NUMBERS = Pattern.compile("v?(\\d+)\\.(\\d+)(?:[.+~-].*)?");
    static final String SUPPORTED = "containerd 1.7 and 2.x";

    static ContainerdVersion parse(String text) throws ShimException {
        return parse(text, "given");
    }

    /** {@code source}: how the version was learned, for the log. */
    static ContainerdVersion parse(String text, String source) throws ShimException {
        Matcher m = NUMBERS.matcher(text.strip());
        if (!m.matches()) {
            throw new ShimException("containerd reports version \"" + text + "\", which is not a version number; podvisor supports "
                    + SUPPORTED);
        }
        return new ContainerdVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), text.strip(), source);
    }

    /**
     * The version of the containerd that runs this {@code start}, its parent, from that very binary
     * ({@code /proc/<parent>/exe --version}, the running image even if the file was replaced since): about
     * 20 ms, where the gRPC query costs a starting JVM 200 to 500 ms of class loading. Empty when the parent is
     * not a containerd binary or says no version, so that the caller asks over gRPC.
     */
    static Optional<ContainerdVersion> ofParentBinary() {
        Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        if (parent.isEmpty()) {
            return Optional.empty();
        }
        Path exe = Path.of("/proc", Long.toString(parent.get().pid()), "exe");
        try {
            Path binary = exe.toRealPath();
            if (!binary.getFileName().toString().startsWith("containerd")) {
                return Optional.empty();
            }
            Process process = new ProcessBuilder(exe.toString(), "--version")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            byte[] out = process.getInputStream().readNBytes(4096);
            if (!process.waitFor(5, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return ofVersionOutput(new String(out, StandardCharsets.UTF_8), binary + " --version");
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** What {@code containerd --version} prints: "containerd github.com/containerd/containerd/v2 2.1.9 REVISION". */
    static Optional<ContainerdVersion> ofVersionOutput(String output, String source) {
        String[] words = output.strip().split("\\s+");
        if (words.length < 3 || !words[0].equals("containerd")) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(words[2], source));
        } catch (ShimException e) {
            return Optional.empty();
        }
    }

    /** Asks containerd's version service on its gRPC socket. */
    static ContainerdVersion ask(String grpcAddress) throws ShimException {
        QUIET.forEach(logger -> logger.setLevel(Level.OFF));
        String path = grpcAddress.replaceFirst("^unix://", "");
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("containerd-version", true),
                EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(path))
                .eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class)
                .overrideAuthority("localhost")
                .usePlaintext()
                .build();
        try {
            return parse(VersionGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .version(Empty.getDefaultInstance()).getVersion(), "asked over gRPC");
        } catch (StatusRuntimeException e) {
            throw new ShimException("cannot ask containerd at " + grpcAddress + " for its version (needed to answer start): "
                    + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
        } finally {
            channel.shutdownNow();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** @throws ShimException naming this version and the supported ones when podvisor does not support it */
    ContainerdVersion requireSupported() throws ShimException {
        boolean supported = (major == 1 && minor >= 7) || major == 2;
        if (!supported) {
            throw new ShimException("containerd " + text + " is not supported: podvisor supports " + SUPPORTED
                    + "; upgrade containerd");
        }
        return this;
    }

    /** The {@code version} of the JSON {@code start} reply this containerd accepts. */
    int startReplyVersion() {
        return major >= 2 ? 3 : 2;
    }
}
