package io.podvisor.shim.vm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.podvisor.shim.task.TaskException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Checks, before anything of a pod is created, that the network namespace its sandbox spec names is
 * there and is a network namespace: asks the kernel the namespace's type (ioctl NS_GET_NSTYPE).
 */
final class NetnsCheck {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int ENOENT = 2;
    private static final long NS_GET_NSTYPE = 0xb703;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final String RECREATE = "remove the pod and create it again";

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.captureCallState("errno"));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.captureCallState("errno"),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private NetnsCheck() {}

    /** FAILED_PRECONDITION naming {@code pod}, the path and the likely cause when it is not a network namespace. */
    static void require(String pod, Path netns) throws TaskException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(errno, arena.allocateFrom(netns.toString()), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                int error = (int) ERRNO.get(errno, 0L);
                throw TaskException.failedPrecondition("podvisor: " + pod + ": its network namespace " + netns
                        + (error == ENOENT ? " does not exist" : " cannot be opened (errno " + error + ")")
                        + ": the pod's CNI network namespace was removed (by containerd or CNI, e.g. the pod is being"
                        + " torn down) or never made; " + RECREATE);
            }
            try {
                int type = (int) IOCTL.invokeExact(errno, fd, NS_GET_NSTYPE, 0L);
                if (type != CLONE_NEWNET) {
                    throw TaskException.failedPrecondition("podvisor: " + pod + ": " + netns
                            + " is not a network namespace (" + (type < 0 ? "no namespace at all" : kind(type))
                            + "): the pod's CNI network namespace was probably removed and its mount point left; "
                            + RECREATE);
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (TaskException e) {
            throw e;
        } catch (Throwable t) {
            throw TaskException.internal("podvisor: " + pod + ": cannot check its network namespace " + netns
                    + ": " + t, t);
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
