package io.podvisor.shim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.podvisor.shim.task.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code warm-vm}: one VM of the warm pool. Boots the VM, then listens on its claim socket; the first {@code start}
 * that claims it makes this process the shim of the claiming pod, serving the Task API as a shim {@code start}
 * spawned would. Until then its log is the pool directory's {@code NAME.log}; when its VM dies, or on SIGTERM, it
 * stops the VM and removes its files.
 */
final class WarmMember {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WarmPool pool;
    private final String name;
    private final ShimLog log;
    private final AtomicBoolean claimed = new AtomicBoolean();

    private WarmMember(WarmPool pool, String name) {
        this.pool = pool;
        this.name = name;
        this.log = ShimLog.forId(name);
    }

    static int run(ShimArgs args, SandboxProvider provider, String version) {
        Optional<String> noSession = ShimServer.newSession();
        ShimLog.configure(System.err, WarmPool.NAMESPACE, args.debug());
        noSession.ifPresent(ShimLog.forId(args.id())::warn);
        Optional<WarmPoolPlan> plan;
        try {
            plan = provider.warmPool(Optional.empty());
        } catch (Exception e) {
            ShimLog.forId(args.id()).error("warm VM " + args.id() + ": cannot read the pool configuration", e);
            return 1;
        }
        if (plan.isEmpty()) {
            ShimLog.forId(args.id()).warn("warm VM " + args.id() + ": the configuration keeps no warm pool; exiting");
            return 1;
        }
        return new WarmMember(new WarmPool(plan.get()), args.id()).serve(version);
    }

    private int serve(String version) {
        WarmPoolPlan.Vm vm;
        try {
            pool.writePidFile(name, ProcessHandle.current());
            long delay = EnvNumber.of(WarmPool.BOOT_DELAY_ENV, 0);
            if (delay > 0) {
                log.info("warm VM " + name + ": booting in " + delay + " ms, after the pod that took the last one");
                Thread.sleep(delay);
            }
            log.info("warm VM " + name + ": booting");
            vm = pool.plan().boot(name, WarmPool.shapeOf(name));
        } catch (Exception e) {
            log.error("warm VM " + name + ": boot failed (this log stays in " + pool.plan().dir() + ")", e);
            removeFiles(false);
            return 1;
        }
        Thread onSignal = new Thread(() -> {
            if (claimed.compareAndSet(false, true)) {
                log.info("warm VM " + name + ": stopping");
                vm.close();
                removeFiles(true);
            }
        }, "warm-exit");
        Runtime.getRuntime().addShutdownHook(onSignal);
        vm.hostProcesses().forEach(p -> p.onExit().thenRun(() -> {
            if (claimed.compareAndSet(false, true)) {
                log.warn("warm VM " + name + ": its " + p.info().command().orElse("process") + " (pid " + p.pid()
                        + ") died; stopping");
                vm.close();
                pool.plan().cleanup(name);
                removeFiles(true);
                System.exit(1);
            }
        }));
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(pool.socket(name)));
            log.info("warm VM " + name + ": ready");
            while (true) {
                SocketChannel connection = listener.accept();
                JsonNode request = readRequest(connection);
                Optional<String> stale = request == null ? Optional.empty() : staleFor(request, vm, version);
                if (stale.isPresent() && claimed.compareAndSet(false, true)) {
                    answer(connection, "stale: " + stale.get());
                    log.info("warm VM " + name + ": stopping, as " + stale.get());
                    removeFiles(true);
                    vm.close();
                    return 0;
                }
                if (request == null || !claimed.compareAndSet(false, true)) {
                    answer(connection, request == null ? "a claim is one line of JSON" : "taken");
                    continue;
                }
                Files.deleteIfExists(pool.socket(name));
                listener.close();
                return serveClaim(vm, WarmPool.context(request), connection, version, onSignal);
            }
        } catch (IOException e) {
            if (claimed.compareAndSet(false, true)) {
                log.error("warm VM " + name + ": cannot take claims", e);
                vm.close();
                removeFiles(true);
            }
            return 1;
        }
    }

    /** Why this VM must not serve the claiming pod: another shim version asks, or the guest image changed. */
    private static Optional<String> staleFor(JsonNode request, WarmPoolPlan.Vm vm, String version) {
        String asking = request.path("version").asText(version);
        if (!asking.equals(version)) {
            return Optional.of("its shim is version " + version + " and the node's is " + asking + " now");
        }
        return vm.stale();
    }

    private int serveClaim(WarmPoolPlan.Vm vm, ShimContext context, SocketChannel connection, String version,
            Thread onSignal) {
        Runtime.getRuntime().removeShutdownHook(onSignal);
        removeFiles(true);
        ShimServer.logTo(context);
        ShimLog.forId(context.id()).info("warm VM " + name + " (pid " + ProcessHandle.current().pid()
                + ") is this pod's shim now");
        WarmPool.restorePriority().ifPresent(problem -> ShimLog.forId(context.id()).warn("warm VM " + name
                + " keeps the lower priority it booted with: " + problem));
        Sandbox sandbox;
        try {
            sandbox = vm.claimedBy(context);
        } catch (Exception e) {
            ShimLog.forId(context.id()).error("warm VM " + name + ": cannot serve the pod", e);
            vm.close();
            answer(connection, "warm VM " + name + " cannot serve the pod: " + e.getMessage());
            return 1;
        }
        return ShimServer.serveTasks(context, sandbox, version, System.currentTimeMillis(),
                text -> answer(connection, text));
    }

    private void removeFiles(boolean withLog) {
        try {
            Files.deleteIfExists(pool.socket(name));
            Files.deleteIfExists(pool.pidFile(name));
            if (withLog) {
                Files.deleteIfExists(pool.log(name));
            }
        } catch (IOException e) {
            log.warn("warm VM " + name + ": cannot remove its files in " + pool.plan().dir() + ": " + e.getMessage());
        }
    }

    private static JsonNode readRequest(SocketChannel connection) {
        try {
            InputStream in = Channels.newInputStream(connection);
            byte[] line = in.readNBytes(64 * 1024);
            JsonNode request = JSON.readTree(new String(line, StandardCharsets.UTF_8));
            return request != null && request.hasNonNull("socket") && request.hasNonNull("bundle") ? request : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void answer(SocketChannel connection, String text) {
        try (connection) {
            connection.write(ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // The start that asked is gone; containerd fails the task on its own.
        }
    }
}
