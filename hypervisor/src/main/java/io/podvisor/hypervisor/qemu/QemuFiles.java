package io.podvisor.hypervisor.qemu;

import io.podvisor.hypervisor.VmSpec;
import java.nio.file.Path;
import java.util.List;

/** The files one QEMU VM keeps in its run directory. */
record QemuFiles(Path qmp, Path vhostUserVsock, Path hybridVsock, Path console, Path qemuLog, Path pidFile) {

    static QemuFiles of(VmSpec spec) {
        return new QemuFiles(
                spec.runFile("qmp.sock"),
                spec.runFile("vhost-vsock.sock"),
                spec.runFile("vsock.sock"),
                spec.runFile("console.log"),
                spec.runFile("qemu.log"),
                spec.runFile("qemu.pid"));
    }

    /** What {@link QemuVm#close()} removes; the logs stay for the post-mortem. */
    List<Path> removedOnClose() {
        return List.of(qmp, vhostUserVsock, hybridVsock, pidFile);
    }

    List<Path> sockets() {
        return List.of(qmp, vhostUserVsock, hybridVsock);
    }
}
