package io.podvisor.shim.vm;

import io.podvisor.shim.agent.AgentClient;
import io.podvisor.shim.agent.AgentException;
import io.podvisor.shim.task.ContainerProcess;
import io.podvisor.shim.task.TaskException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A container's init process whose SIGKILL exit, when the guest's kernel OOM-killed in the container,
 * reports the OOM kill before the exit. The guest's OOM event travels apart from the exit and may come
 * later; containerd 2.x takes the exit from Wait and would record the reason "Error" instead of
 * "OOMKilled", as runc's shim, which reports the OOM first, gives it.
 */
final class OomReportingInit implements ContainerProcess {
    private static final int KILLED = 128 + 9;
    private static final System.Logger LOG = System.getLogger(OomReportingInit.class.getName());

    private final String containerId;
    private final ContainerProcess init;
    private final AgentClient agent;
    private final Runnable reportOom;

    OomReportingInit(String containerId, ContainerProcess init, AgentClient agent, Runnable reportOom) {
        this.containerId = containerId;
        this.init = init;
        this.agent = agent;
        this.reportOom = reportOom;
    }

    @Override
    public CompletionStage<Integer> exit() {
        return init.exit().thenCompose(status -> status != KILLED ? CompletableFuture.completedFuture(status)
                : CompletableFuture.supplyAsync(() -> reportIfOomKilled(status), Thread::startVirtualThread));
    }

    private int reportIfOomKilled(int status) {
        try {
            if (agent.containerStats(containerId).getOomKills() > 0) {
                reportOom.run();
            }
        } catch (AgentException e) {
            LOG.log(System.Logger.Level.WARNING, "container {0} was killed; whether by the OOM killer is unknown: {1}",
                    containerId, e.getMessage());
        }
        return status;
    }

    @Override
    public int pid() {
        return init.pid();
    }

    @Override
    public int start() throws TaskException {
        return init.start();
    }

    @Override
    public void kill(int signal, boolean all) throws TaskException {
        init.kill(signal, all);
    }

    @Override
    public void resizePty(int width, int height) throws TaskException {
        init.resizePty(width, height);
    }

    @Override
    public void delete() throws TaskException {
        init.delete();
    }
}
