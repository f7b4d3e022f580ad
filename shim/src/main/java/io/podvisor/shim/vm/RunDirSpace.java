package io.podvisor.shim.vm;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The room a pod needs under the run directory (its VM's console log, sockets and state), checked before
 * anything of the pod is made there, so that a full file system fails the pod at once with its path.
 */
final class RunDirSpace {
    static final long MIN_FREE_BYTES = 8L << 20;

    private RunDirSpace() {}

    static void require(Path runDir, String podId) throws IOException {
        Path existing = runDir.toAbsolutePath();
        while (!Files.exists(existing) && existing.getParent() != null) {
            existing = existing.getParent();
        }
        long free;
        try {
            free = Files.getFileStore(existing).getUsableSpace();
        } catch (FileSystemException e) {
            throw new IOException("pod " + podId + ": cannot tell the free space under the run directory " + runDir
                    + ": " + e.getMessage(), e);
        }
        if (free < MIN_FREE_BYTES) {
            throw new IOException(("pod %s: no space left under the run directory %s: %d KiB free, a pod needs %d MiB"
                    + " there for its VM's console log, sockets and state; free space on that file system or set run_dir"
                    + " in the podvisor config to another one").formatted(podId, runDir, free / 1024, MIN_FREE_BYTES >> 20));
        }
    }
}
