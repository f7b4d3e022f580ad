package io.podvisor.agent.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds a command the way execvp does, but in the PATH of the process being started, not the agent's. */
public final class ExecutableLookup {

    private ExecutableLookup() {}

    /** Finds a helper the agent runs itself (crun, ip) in the agent's own PATH. */
    public static Optional<String> findForAgent(String command) {
        String path = System.getenv("PATH");
        return find(command, path == null ? GuestCommandLauncher.DEFAULT_PATH : path, Path.of("/"));
    }

    /** The path to hand to posix_spawn, or empty when no executable file matches. */
    static Optional<String> find(String command, String path, Path cwd) {
        if (command.contains("/")) {
            return isExecutableFile(cwd.resolve(command)) ? Optional.of(command) : Optional.empty();
        }
        for (String dir : path.split(":", -1)) {
            Path candidate = cwd.resolve(dir.isEmpty() ? "." : dir).resolve(command);
            if (isExecutableFile(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }

    private static boolean isExecutableFile(Path file) {
        return Files.isRegularFile(file) && Files.isExecutable(file);
    }
}
