package io.podvisor.hypervisor.net;

import static io.podvisor.libc.Libc.LIBC;
import static io.podvisor.libc.Libc.O_CLOEXEC;
import static io.podvisor.libc.Libc.O_RDONLY;

import io.podvisor.hypervisor.VmmException;
import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.NativeMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The two socket calls port forwarding needs that Java has no API for, through
 * {@link io.podvisor.libc.Libc}: a TCP socket created in another network namespace (the pod's, where
 * containerd dials), and the destination a connection had before netfilter redirected it ({@code SO_ORIGINAL_DST}).
 */
public final class LoopbackSockets {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_IP = 0;
    private static final int SO_ORIGINAL_DST = 80;
    /** struct sockaddr_in: family (2), port (2, big-endian), address (4), padding (8). */
    private static final int SOCKADDR_IN_SIZE = 16;

    private LoopbackSockets() {
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

    private static int createIn(Path netns) throws ErrnoException {
        int nsFd;
        try (Arena arena = Arena.ofConfined()) {
            nsFd = ErrnoException.check(
                    LIBC.open(NativeMemory.cString(arena, netns.toString()), O_RDONLY | O_CLOEXEC, 0), "open");
        }
        try {
            ErrnoException.check(LIBC.setns(nsFd, CLONE_NEWNET), "setns");
        } finally {
            LIBC.close(nsFd);
        }
        return ErrnoException.check(LIBC.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
    }

    /** The port a connection accepted on {@code fd} was made to before netfilter redirected it. */
    public static int originalDestinationPort(int fd) throws VmmException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(SOCKADDR_IN_SIZE, 4);
            MemorySegment length = arena.allocate(4, 4);
            NativeMemory.view(length).putInt(0, SOCKADDR_IN_SIZE);
            ErrnoException.check(LIBC.getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, address.address(), length.address()),
                    "getsockopt(SO_ORIGINAL_DST)");
            ByteBuffer sockaddr = address.asByteBuffer();
            return (Byte.toUnsignedInt(sockaddr.get(2)) << 8) | Byte.toUnsignedInt(sockaddr.get(3));
        } catch (ErrnoException e) {
            throw new VmmException(e.getMessage(), e);
        }
    }
}
