package io.podvisor.hypervisor.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.podvisor.hypervisor.VmmException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The two socket calls port forwarding needs that Java has no API for, through FFM: a TCP socket
 * created in another network namespace (the pod's, where containerd dials), and the destination a
 * connection had before netfilter redirected it ({@code SO_ORIGINAL_DST}).
 */
public final class LoopbackSockets {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_IP = 0;
    private static final int SO_ORIGINAL_DST = 80;
    /** struct sockaddr_in: family (2), port (2, big-endian), address (4), padding (8). */
    private static final int SOCKADDR_IN_SIZE = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = find("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS = find("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKET = find("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = find("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CLOSE = find("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private LoopbackSockets() {
    }

    private static MethodHandle find(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, options);
    }

    /**
     * A new non-blocking IPv4 TCP socket (not yet bound) in the network namespace {@code netns}. It is made
     * on a thread of its own that enters the namespace and then ends, so no thread of this process is left in
     * another namespace; the socket stays in the namespace it was made in.
     */
    public static int tcpSocketIn(Path netns, String podId) throws VmmException {
        CompletableFuture<Integer> fd = new CompletableFuture<>();
        Thread.ofPlatform().name("netns-socket").start(() -> {
            try {
                fd.complete(createIn(netns));
            } catch (Throwable t) {
                fd.completeExceptionally(t);
            }
        });
        try {
            return fd.get();
        } catch (ExecutionException e) {
            throw new VmmException("pod " + podId + ": cannot open a socket in network namespace " + netns + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("pod " + podId + ": interrupted while opening a socket in " + netns, e);
        }
    }

    private static int createIn(Path netns) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int nsFd = check((int) OPEN.invokeExact(errno, arena.allocateFrom(netns.toString()), O_RDONLY | O_CLOEXEC),
                    errno, "open");
            try {
                check((int) SETNS.invokeExact(errno, nsFd, CLONE_NEWNET), errno, "setns");
            } finally {
                int ignored = (int) CLOSE.invokeExact(errno, nsFd);
            }
            return check((int) SOCKET.invokeExact(errno, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
                    errno, "socket");
        }
    }

    /** The port a connection accepted on {@code fd} was made to before netfilter redirected it. */
    public static int originalDestinationPort(int fd) throws VmmException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            MemorySegment address = arena.allocate(SOCKADDR_IN_SIZE);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, SOCKADDR_IN_SIZE);
            check((int) GETSOCKOPT.invokeExact(errno, fd, SOL_IP, SO_ORIGINAL_DST, address, length), errno,
                    "getsockopt(SO_ORIGINAL_DST)");
            return (Byte.toUnsignedInt(address.get(JAVA_BYTE, 2)) << 8) | Byte.toUnsignedInt(address.get(JAVA_BYTE, 3));
        } catch (VmmException e) {
            throw e;
        } catch (Throwable t) {
            throw new VmmException("getsockopt(SO_ORIGINAL_DST) failed: " + t, t);
        }
    }

    private static int check(int result, MemorySegment errno, String call) throws VmmException {
        if (result < 0) {
            int code = (int) ERRNO.get(errno, 0L);
            throw new VmmException(call + ": " + strerror(code));
        }
        return result;
    }

    private static String strerror(int errno) {
        try {
            return ((MemorySegment) STRERROR.invokeExact(errno)).reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
