package io.podvisor.agent.container;

import io.podvisor.agent.os.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The crun command lines the agent uses, with its state under {@code --root} in the agent's run directory. */
public final class Crun {

    private final String executable;
    private final Path stateRoot;

    public Crun(String executable, Path stateRoot) {
        this.executable = executable;
        this.stateRoot = stateRoot;
    }

    /** {@code crun run}: creates and starts the container and stays its parent until it exits. */
    List<String> run(Path bundle, Path pidFile, Path consoleSocket, String id) {
        List<String> argv = command("run", "--bundle", bundle.toString(), "--pid-file", pidFile.toString());
        if (consoleSocket != null) {
            argv.addAll(List.of("--console-socket", consoleSocket.toString()));
        }
        argv.add(id);
        return argv;
    }

    /**
     * {@code crun exec}: starts the process described in {@code processFile} and waits for it, passing it
     * crun's descriptors 3 to 3 + {@code preservedFds} - 1.
     */
    List<String> exec(Path processFile, Path pidFile, Path consoleSocket, int preservedFds, String id) {
        List<String> argv = command("exec", "--process", processFile.toString(), "--pid-file", pidFile.toString());
        if (consoleSocket != null) {
            argv.addAll(List.of("--console-socket", consoleSocket.toString()));
        }
        if (preservedFds > 0) {
            argv.addAll(List.of("--preserve-fds", Integer.toString(preservedFds)));
        }
        argv.add(id);
        return argv;
    }

    /** Whether crun holds state for {@code id} (a container crun run created and has not deleted). */
    boolean knows(String id) {
        return Files.isDirectory(stateRoot.resolve(id));
    }

    void kill(String id, int signal, boolean all) throws IOException {
        call(all ? command("kill", "--all", id, Integer.toString(signal))
                : command("kill", id, Integer.toString(signal)));
    }

    void delete(String id) throws IOException {
        call(command("delete", "--force", id));
    }

    void pause(String id) throws IOException {
        call(command("pause", id));
    }

    void resume(String id) throws IOException {
        call(command("resume", id));
    }

    void update(String id, Path resources) throws IOException {
        call(command("update", "--resources", resources.toString(), id));
    }

    private List<String> command(String... args) {
        List<String> argv = new ArrayList<>(List.of(executable, "--root", stateRoot.toString()));
        argv.addAll(List.of(args));
        return argv;
    }

    private static void call(List<String> argv) throws IOException {
        Command.Result result = Command.run(argv);
        if (!result.succeeded()) {
            throw new CrunException(String.join(" ", argv.subList(3, argv.size())), result);
        }
    }

    /** A crun command that failed; the message quotes what crun said. */
    static final class CrunException extends IOException {
        CrunException(String command, Command.Result result) {
            super("crun " + command + " failed (exit " + result.status().exitCode() + "): " + result.message());
        }
    }
}
