package io.podvisor.cli;

import io.podvisor.shim.WarmPool;
import io.podvisor.shim.config.PodvisorConfig;
import io.podvisor.shim.vm.VmSandboxProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code podvisor pool [status|stop]}: the warm pool's VMs with the host memory each holds while idle, or stopping
 * them all (uninstall does; a pod start refills the pool while the configuration keeps one).
 */
final class PoolCommand {
    private PoolCommand() {
    }

    static int run(List<String> args, PrintStream out) throws IOException {
        String action = args.isEmpty() ? "status" : args.getFirst();
        Optional<WarmPool> pool = pool();
        switch (action) {
            case "status" -> {
                if (pool.isEmpty()) {
                    out.println("warm pool: off (no [[pool]] in " + PodvisorConfig.path() + ")");
                    return 0;
                }
                out.println(summary(pool.get()));
                for (WarmPool.Member member : pool.get().members()) {
                    out.printf("  %-24s %-9s pid %-8d %6.1f MiB PSS%n", member.name(),
                            member.ready() ? "ready" : "booting", member.pid(), pssMiB(member));
                }
                pool.get().refused().ifPresent(out::println);
                return 0;
            }
            case "stop" -> {
                if (pool.isPresent()) {
                    int count = pool.get().members().size();
                    pool.get().stop(Duration.ofSeconds(30));
                    out.println("warm pool: stopped " + count + " VMs");
                }
                return 0;
            }
            default -> throw new IllegalArgumentException("unknown command 'pool " + action + "'");
        }
    }

    /** One line: VMs ready and booting against the configured sizes, and the host memory idle VMs hold. */
    static String summary(WarmPool pool) throws IOException {
        List<WarmPool.Member> members = pool.members();
        double pss = 0;
        for (WarmPool.Member member : members) {
            pss += pssMiB(member);
        }
        long ready = members.stream().filter(WarmPool.Member::ready).count();
        return String.format("warm pool: %d ready, %d booting (configured: %s); idle VMs hold %.0f MiB of host memory"
                        + " (PSS of their VMM, virtiofsd and shim)", ready, members.size() - ready,
                String.join(", ", pool.plan().sizes().entrySet().stream()
                        .map(e -> e.getValue() + " of " + e.getKey()).toList()), pss);
    }

    static Optional<WarmPool> pool() throws IOException {
        try {
            return new VmSandboxProvider().warmPool(Optional.empty()).map(WarmPool::new);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static double pssMiB(WarmPool.Member member) throws IOException {
        ProcStats sum = ProcStats.NONE;
        for (ProcessHandle p : member.processes()) {
            sum = sum.plus(ProcStats.of(p));
        }
        return sum.pssKib() / 1024.0;
    }
}
