package io.podvisor.cli;

import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The {@code podvisor} debugging and admin CLI. */
public final class PodvisorCli {
    static final String USAGE = """
            usage:
              podvisor vm run [--memory MIB] [--cpus N] [--timeout SECONDS] -- CMD [ARGS...]
                  boot a throwaway VM, run CMD in it, exit with CMD's exit code
              podvisor vm config --hypervisor cloud-hypervisor|qemu [--memory MIB] [--cpus N]
                  print what the driver would send to create the VM
              podvisor check
                  say what this host can do and what to install
              podvisor pods [--json]
                  list this node's pod VMs: size, host memory (RSS/PSS) and CPU of QEMU + virtiofsd, uptime
              podvisor pool [status|stop]
                  the warm pool's VMs and the host memory they hold, or stop them all
              podvisor console POD [-f]
                  print a pod's guest console log (POD: its id, an unambiguous prefix, or its name); -f follows it
              podvisor bench [--pods N] [--density N] [--json FILE] | bench vm [--boots N]
                  the benchmark (from a source checkout: `podvisor bench --help`)
              podvisor soak [--cycles N] [--parallel P] [--json FILE]
                  many pod lifecycles, checked for leaks (from a source checkout: `podvisor soak --help`)
            """;

    private PodvisorCli() {}

    /** Held so the levels stick: java.util.logging keeps loggers weakly. */
    private static final List<Logger> QUIETED = List.of(
            Logger.getLogger("io.netty.bootstrap"), Logger.getLogger("io.podvisor"));

    public static void main(String[] args) {
        if (System.getenv("PODVISOR_DEBUG") == null) {
            // grpc-netty asks every channel for SO_KEEPALIVE, which unix sockets ignore; and the
            // VM's own progress logs are for the shim's log, not for a person at a terminal.
            QUIETED.getFirst().setLevel(Level.SEVERE);
            QUIETED.getLast().setLevel(Level.WARNING);
        }
        System.exit(run(List.of(args), System.out, System.err));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        try {
            if (args.isEmpty() || args.getFirst().equals("-h") || args.getFirst().equals("--help")) {
                out.print(USAGE);
                return args.isEmpty() ? 2 : 0;
            }
            List<String> rest = args.subList(1, args.size());
            String sub = rest.isEmpty() ? "" : rest.getFirst();
            List<String> subArgs = rest.isEmpty() ? rest : rest.subList(1, rest.size());
            return switch (args.getFirst()) {
                case "vm" -> switch (sub) {
                    case "run" -> new VmRunCommand(config(), VmOptions.parse(subArgs)).run();
                    case "config" -> VmConfigCommand.run(config(), VmOptions.parse(subArgs), out);
                    default -> usage(err, "unknown command 'vm " + sub + "'");
                };
                case "check" -> new CheckCommand(config(), out).run();
                case "pods" -> {
                    boolean json = PodsCommand.parseJsonFlag(rest);
                    PodsCommand.print(PodVmStatus.list(config().runDir(), Instant.now()), json, out);
                    yield 0;
                }
                case "pool" -> PoolCommand.run(rest, out);
                case "console" -> {
                    ConsoleCommand.Options options = ConsoleCommand.Options.parse(rest);
                    PodVmStatus pod = PodLookup.find(PodVmStatus.list(config().runDir(), Instant.now()), options.pod());
                    yield ConsoleCommand.run(pod, options.follow(), out, err);
                }
                case "bench", "soak" -> {
                    // install/podvisor runs these from the integration-tests build instead.
                    err.println("podvisor: " + args.getFirst() + " runs from a source checkout: "
                            + "mvn -DskipTests install there, then install/podvisor " + args.getFirst());
                    yield 125;
                }
                default -> usage(err, "unknown command '" + args.getFirst() + "'");
            };
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        } catch (PodLookup.NoSuchPodException e) {
            err.println("podvisor: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("podvisor: " + e.getMessage());
            return 125;
        }
    }

    private static PodvisorConfig config() throws IOException {
        return PodvisorConfig.load();
    }

    private static int usage(PrintStream err, String problem) {
        err.println("podvisor: " + problem);
        err.print(USAGE);
        return 2;
    }

    static String join(String[] parts) {
        return String.join(" ", Arrays.asList(parts));
    }
}
