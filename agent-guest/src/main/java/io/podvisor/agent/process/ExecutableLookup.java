package io.podvisor.agent.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds a command the way execvp does, but in the PATH of the process being started, not the agent's. */
final class ExecutableLookup {

    private ExecutableLookup() {}

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
