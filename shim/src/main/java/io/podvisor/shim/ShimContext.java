package io.podvisor.shim;

import java.nio.file.Path;

/**
 * What containerd told the shim: namespace, container id, containerd's socket and ttrpc socket
 * (for events), the publish binary, the bundle directory, whether to log debug lines, and the
 * shim's own ttrpc socket.
 */
public record ShimContext(String namespace, String id, String containerdAddress, String ttrpcAddress,
        String publishBinary, Path bundle, boolean debug, Path socket) {
}
