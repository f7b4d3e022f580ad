package io.podvisor.shim;

import com.google.protobuf.Timestamp;
import io.podvisor.proto.containerd.task.v2.DeleteResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * {@code delete}: containerd lost the shim of a container (killed, crashed) and asks the binary to
 * clean up. The provider releases the VM side; a socket nobody answers on is removed. Answers as a
 * killed process would (exit status 128+SIGKILL).
 */
final class DeleteCommand {
    static final int KILLED_STATUS = 128 + 9;

    private DeleteCommand() {
    }

    static DeleteResponse run(ShimContext context, SandboxProvider provider) {
        ShimLog log = ShimLog.forId(context.id());
        int pid = 0;
        try {
            pid = provider.cleanupAfterDeadShim(context);
        } catch (Exception e) {
            log.error("cleaning up after the dead shim of " + context.id() + " failed", e);
        }
        ShimAddress.readAddressFile(context.bundle()).map(ShimAddress::toPath).ifPresent(socket -> {
            if (Files.exists(socket) && !ShimAddress.canConnect(socket)) {
                try {
                    Files.deleteIfExists(socket);
                    log.info("removed stale shim socket " + socket);
                } catch (IOException e) {
                    log.warn("cannot remove stale shim socket " + socket, e);
                }
            }
        });
        Instant now = Instant.now();
        return DeleteResponse.newBuilder()
                .setPid(pid)
                .setExitStatus(KILLED_STATUS)
                .setExitedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build();
    }
}
