package io.podvisor.cli;

import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessStart;
import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.config.PodvisorConfig;
import java.io.IOException;
import java.time.Duration;

/** {@code podvisor vm run}: boot a throwaway VM, run one command in it, exit with its status. */
final class VmRunCommand {
    private final PodvisorConfig config;
    private final VmOptions options;

    VmRunCommand(PodvisorConfig config, VmOptions options) {
        this.config = config;
        this.options = options;
    }

    int run() throws IOException {
        if (options.command().isEmpty()) {
            throw new IllegalArgumentException("vm run needs a command after --, e.g. podvisor vm run -- uname -r");
        }
        Duration timeout = options.timeoutSeconds() != null
                ? Duration.ofSeconds(options.timeoutSeconds()) : config.agentReadyTimeout();
        Progress progress = Progress.onTerminal();
        try (ThrowawayVm vm = ThrowawayVm.create(config, options)) {
            progress.say("booting VM " + vm.vm().spec().name() + " (" + vm.vm().spec().vcpus() + " vCPUs, "
                    + vm.vm().spec().memoryMiB() + " MiB)");
            long start = System.nanoTime();
            AgentClient agent = vm.boot(timeout);
            progress.say(String.format("guest agent ready after %.1f s", (System.nanoTime() - start) / 1e9));
            ProcessStart command = ProcessStart.newBuilder()
                    .addAllArgs(options.command())
                    .setCwd("/")
                    .build();
            ProcessExit exit = agent.run(command, System.in, System.out, System.err);
            System.out.flush();
            return exit.getExitCode();
        }
    }
}
