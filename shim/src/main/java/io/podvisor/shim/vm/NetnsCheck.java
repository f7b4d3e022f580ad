package io.podvisor.shim.vm;

import static io.podvisor.libc.Libc.ENOENT;
import static io.podvisor.libc.Libc.LIBC;
import static io.podvisor.libc.Libc.O_CLOEXEC;
import static io.podvisor.libc.Libc.O_RDONLY;

import io.podvisor.libc.NativeMemory;
import io.podvisor.shim.task.TaskException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * Checks, before anything of a pod is created, that the network namespace its sandbox spec names is
 * there and is a network namespace: asks the kernel the namespace's type (ioctl NS_GET_NSTYPE).
 */
final class NetnsCheck {
    private static final long NS_GET_NSTYPE = 0xb703;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final String RECREATE = "remove the pod and create it again";

    private NetnsCheck() {}

    /** FAILED_PRECONDITION naming {@code pod}, the path and the likely cause when it is not a network namespace. */
    static void require(String pod, Path netns) throws TaskException {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = LIBC.open(NativeMemory.cString(arena, netns.toString()), O_RDONLY | O_CLOEXEC, 0);
        }
        if (fd < 0) {
            int error = -fd;
            throw TaskException.failedPrecondition("podvisor: " + pod + ": its network namespace " + netns
                    + (error == ENOENT ? " does not exist" : " cannot be opened (" + LIBC.strerror(error) + ", errno "
                    + error + ")")
                    + ": the pod's CNI network namespace was removed (by containerd or CNI, e.g. the pod is being"
                    + " torn down) or never made; " + RECREATE);
        }
        try {
            int type = LIBC.ioctl(fd, NS_GET_NSTYPE, 0L);
            if (type != CLONE_NEWNET) {
                throw TaskException.failedPrecondition("podvisor: " + pod + ": " + netns
                        + " is not a network namespace (" + (type < 0 ? "no namespace at all" : kind(type))
                        + "): the pod's CNI network namespace was probably removed and its mount point left; "
                        + RECREATE);
            }
        } finally {
            LIBC.close(fd);
        }
    }

    private static String kind(int cloneFlag) {
        return switch (cloneFlag) {
            case 0x00020000 -> "a mount namespace";
            case 0x02000000 -> "a cgroup namespace";
            case 0x04000000 -> "a UTS namespace";
            case 0x08000000 -> "an IPC namespace";
            case 0x10000000 -> "a user namespace";
            case 0x20000000 -> "a PID namespace";
            case 0x00000080 -> "a time namespace";
            default -> "a namespace of type " + Integer.toHexString(cloneFlag);
        };
    }
}
