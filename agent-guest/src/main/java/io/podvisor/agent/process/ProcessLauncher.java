package io.podvisor.agent.process;

import io.podvisor.proto.agent.v1.ProcessStart;
import java.io.IOException;

/**
 * Starts what a RunProcess call asks for. Failures the caller should see are {@link io.grpc.StatusRuntimeException}s
 * naming what is wrong; an {@link IOException} is the agent's own failure.
 */
@FunctionalInterface
public interface ProcessLauncher {

    LaunchedProcess launch(ProcessStart start) throws IOException;
}
