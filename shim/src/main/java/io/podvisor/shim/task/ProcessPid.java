package io.podvisor.shim.task;

import java.util.Optional;

/** A pid in a container, with the exec id when the process was started by Exec. */
public record ProcessPid(int pid, Optional<String> execId) {
}
