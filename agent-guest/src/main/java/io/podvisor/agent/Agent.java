package io.podvisor.agent;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.podvisor.agent.container.ContainerLauncher;
import io.podvisor.agent.container.ContainerRegistry;
import io.podvisor.agent.container.Crun;
import io.podvisor.agent.container.OomWatcher;
import io.podvisor.agent.network.NetworkConfigurator;
import io.podvisor.agent.os.PowerOff;
import io.podvisor.agent.process.ExecutableLookup;
import io.podvisor.agent.process.GuestCommandLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/** A running agent: the gRPC server on its endpoint, one epoll event loop and a small executor. */
public final class Agent {

    private static final Logger LOG = Logger.getLogger(Agent.class.getName());
    /** How long crun may take to create a container process (TCG guests are slow). */
    private static final Duration CONTAINER_START_TIMEOUT = Duration.ofSeconds(60);

    private final AgentOptions options;
    private final EventLoopGroup group;
    private final ExecutorService executor;
    private Server server;

    private Agent(AgentOptions options) {
        this.options = options;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("agent-io", true),
                EpollIoHandler.newFactory());
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(
                r -> Thread.ofPlatform().name("agent-rpc-" + threads.incrementAndGet()).daemon().unstarted(r));
    }

    /** Starts serving on {@code options.listen()}, then announces readiness. */
    static Agent start(AgentOptions options) throws IOException {
        Agent agent = new Agent(options);
        try {
            agent.serve();
        } catch (IOException | RuntimeException e) {
            agent.stop();
            throw e;
        }
        return agent;
    }

    /** Starts an agent from command-line arguments, for tests and AgentMain. */
    public static Agent start(String... args) throws IOException {
        return start(AgentOptions.parse(args));
    }

    private void serve() throws IOException {
        if (options.listen() instanceof Endpoint.Unix unix) {
            Files.deleteIfExists(unix.path());
        }
        var service = new AgentService(parts());
        server = NettyServerBuilder.forAddress(options.listen().address())
                .channelFactory(options.listen()::newServerChannel)
                .bossEventLoopGroup(group)
                .workerEventLoopGroup(group)
                .executor(executor)
                .addService(service)
                .build()
                .start();
        LOG.info("agent " + AgentMain.version() + " listening on " + options.listen() + uptimeNote());
        options.ready().ifPresent(target -> ReadinessAnnouncer.announce(target, AgentMain.version(), group));
    }

    /** The agent's working parts, from its options. */
    private AgentService.Parts parts() {
        Crun crun = new Crun(options.crun().or(() -> ExecutableLookup.findForAgent("crun")).orElse("crun"),
                options.runDir().resolve("crun"));
        // Network sysctls go to the guest's network namespace, the pod's; an agent outside a guest has none to give.
        Path procSys = options.guest() ? Path.of("/proc/sys") : options.runDir().resolve("no-pod-network-sysctls");
        ContainerRegistry containers = new ContainerRegistry(options.runDir().resolve("bundles"), options.cgroupRoot(),
                crun, procSys);
        OomWatcher oomWatcher = new OomWatcher();
        ContainerLauncher containerProcesses = new ContainerLauncher(containers, crun, oomWatcher,
                options.runDir().resolve("console"), CONTAINER_START_TIMEOUT);
        NetworkConfigurator network = new NetworkConfigurator(
                List.of(ExecutableLookup.findForAgent("ip").orElse("/sbin/ip")), Path.of("/sys/class/net"),
                Path.of("/proc/sys/kernel/hostname"));
        return new AgentService.Parts(new GuestInfoReader(Path.of("/proc"), AgentMain.version()),
                new GuestCommandLauncher(), containerProcesses, containers, oomWatcher, network, this::shutdown);
    }

    private void shutdown() {
        if (!options.guest()) {
            LOG.info("Shutdown requested: stopping the agent");
            stop();
            return;
        }
        LOG.info("Shutdown requested: syncing and powering off");
        try {
            PowerOff.now();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "cannot power off; exiting so init powers off", e);
            System.exit(1);
        }
    }

    /** Stops serving; {@link #awaitTermination()} then returns. */
    public void stop() {
        if (server != null) {
            server.shutdownNow();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        executor.shutdownNow();
    }

    public void awaitTermination() throws InterruptedException {
        if (server != null) {
            server.awaitTermination();
        }
        group.terminationFuture().await();
    }

    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return (server == null || server.awaitTermination(timeout, unit)) && group.terminationFuture().await(timeout, unit);
    }

    /** System uptime and the agent's RSS when it starts serving: boot-to-ready and memory on the console. */
    private static String uptimeNote() {
        try {
            String uptime = Files.readString(Path.of("/proc/uptime"));
            long rssKiB = GuestInfoReader.kibField(Files.readString(Path.of("/proc/self/status")), "VmRSS:");
            return " (system uptime " + uptime.substring(0, uptime.indexOf(' ')) + " s, RSS " + rssKiB / 1024 + " MiB)";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
