package io.podvisor.hypervisor.cloudhypervisor;

import io.podvisor.hypervisor.VmSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * The files one Cloud Hypervisor VM keeps in its run directory. Cloud Hypervisor locks its API
 * socket with a {@code .lock} file beside it.
 */
record ChFiles(Path apiSocket, Path apiSocketLock, Path hybridVsock, Path console, Path vmmLog) {

    static ChFiles of(VmSpec spec) {
        return new ChFiles(
                spec.runFile("ch-api.sock"),
                spec.runFile("ch-api.sock.lock"),
                spec.runFile("vsock.sock"),
                spec.runFile("console.log"),
                spec.runFile("cloud-hypervisor.log"));
    }

    /** What closing the VM removes; the logs stay for the post-mortem. */
    List<Path> removedOnClose() {
        return List.of(apiSocket, apiSocketLock, hybridVsock);
    }
}
