package io.podvisor.shim;

import com.google.protobuf.CodedOutputStream;
import io.podvisor.proto.containerd.task.v2.DeleteResponse;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * {@code containerd-shim-podvisor-v2}: the shim v2 binary. {@code start} reads what containerd put on its
 * stdin ({@link StartInput}) and prints the shim's address in the JSON reply the calling containerd accepts,
 * {@code delete} prints a DeleteResponse after cleaning up a dead shim, no action runs the
 * long-lived shim, {@code -v} prints the version. The VM side is a {@link SandboxProvider} found
 * with {@link ServiceLoader}, or passed to {@link #run}.
 */
public final class ShimMain {
    public static final String NAME = "containerd-shim-podvisor-v2";
    /**
     * Netty's and gRPC's buffers from plain allocations, not per-thread pools of 4 MiB chunks: the JVM launcher
     * says so on its command line; the native shim, which containerd runs directly, has no launcher to.
     */
    private static final String NETTY_ALLOCATOR = "io.netty.allocator.type";

    private ShimMain() {
    }

    public static void main(String[] args) {
        if (System.getProperty(NETTY_ALLOCATOR) == null) {
            System.setProperty(NETTY_ALLOCATOR, "unpooled");
        }
        System.exit(run(args, ShimMain::loadProvider));
    }

    /** Runs one shim command; returns the process exit status. */
    public static int run(String[] args, Supplier<SandboxProvider> provider) {
        long mainAt = System.currentTimeMillis();
        ShimArgs parsed;
        try {
            parsed = ShimArgs.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(NAME + ": " + e.getMessage());
            return 2;
        }
        if (parsed.version()) {
            System.out.println(NAME + ":\n  Version:  " + version() + "\n  Java version: " + Runtime.version());
            return 0;
        }
        Path bundle = parsed.bundle().orElse(Path.of("").toAbsolutePath());
        try {
            return switch (parsed.action()) {
                case "start" -> {
                    // containerd reads start's stdout and stderr as one reply: no log line may reach either.
                    Logger.getLogger("").setLevel(Level.OFF);
                    StartTimes times = StartTimes.beginning();
                    StartInput input = StartInput.read(System.in, parsed.id());
                    long asking = System.nanoTime();
                    ContainerdVersion containerd = input.containerdVersion(parsed.address()).requireSupported();
                    times = times.withVersionQuery((System.nanoTime() - asking) / 1_000_000, containerd.source());
                    RuntimeOptions options = RuntimeOptions.from(input.options());
                    Path socketDir = input.socketDir().orElse(ShimAddress.DEFAULT_SOCKET_DIR);
                    String address = new StartCommand(socketDir, SelfCommand.prefix(args), Duration.ofSeconds(60), times)
                            .run(parsed, bundle, options, () -> warmPool(provider, options.configPath()));
                    System.out.print(StartReply.json(containerd.startReplyVersion(), address));
                    System.out.flush();
                    yield 0;
                }
                case "delete" -> {
                    ShimLog.configure(System.err, parsed.namespace(), parsed.debug());
                    DeleteResponse response = DeleteCommand.run(context(parsed, bundle), provider.get());
                    CodedOutputStream out = CodedOutputStream.newInstance(System.out);
                    response.writeTo(out);
                    out.flush();
                    System.out.flush();
                    yield 0;
                }
                case WarmPool.ACTION -> {
                    yield WarmMember.run(parsed, provider.get(), version());
                }
                case ShimArgs.FILL -> {
                    Optional<Path> config = Optional.of(PodvisorConfig.path());
                    Optional<WarmPool> pool = warmPool(provider, config);
                    if (pool.isEmpty()) {
                        System.out.println("the configuration " + config.get() + " keeps no warm pool ([[pool]])");
                        yield 0;
                    }
                    String outcome = pool.get().refill(SelfCommand.prefix(args), config, Duration.ZERO);
                    System.out.println(outcome);
                    yield pool.get().refused().isPresent() ? 1 : 0;
                }
                default -> {
                    if (parsed.socket().isEmpty()) {
                        throw new ShimException("the long-lived shim needs -socket; containerd runs `" + NAME + " start`");
                    }
                    yield ShimServer.serve(context(parsed, bundle), provider.get(), version(), mainAt);
                }
            };
        } catch (ShimException e) {
            System.err.println(NAME + ": " + e.getMessage());
            return 1;
        } catch (IOException | RuntimeException e) {
            System.err.println(NAME + ": " + parsed.action() + " of " + parsed.id() + " failed: " + e);
            return 1;
        }
    }

    private static Optional<WarmPool> warmPool(Supplier<SandboxProvider> provider, Optional<Path> config)
            throws ShimException {
        try {
            return provider.get().warmPool(config).map(WarmPool::new);
        } catch (Exception e) {
            throw new ShimException("cannot read the warm pool's configuration: " + e.getMessage(), e);
        }
    }

    private static ShimContext context(ShimArgs args, Path bundle) {
        return context(args, bundle, args.socket().orElse(null));
    }

    /** What containerd told this command, with the shim's own socket {@code socket}. */
    static ShimContext context(ShimArgs args, Path bundle, Path socket) {
        String ttrpcAddress = System.getenv("TTRPC_ADDRESS");
        if (ttrpcAddress == null || ttrpcAddress.isEmpty()) {
            ttrpcAddress = args.address() + ".ttrpc";
        }
        return new ShimContext(args.namespace(), args.id(), args.address(), ttrpcAddress, args.publishBinary(), bundle,
                args.debug(), socket);
    }

    static String version() {
        String version = ShimMain.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    private static SandboxProvider loadProvider() {
        return ServiceLoader.load(SandboxProvider.class).findFirst().orElseThrow(() -> new IllegalStateException(
                "no " + SandboxProvider.class.getName() + " on the class path: this build lacks the VM backend"));
    }
}
