package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.Libc;
import io.podvisor.libc.NativeMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A listening unix socket for an OCI runtime's {@code --console-socket}: the runtime connects once and sends
 * the master of the container's terminal as SCM_RIGHTS ancillary data.
 */
public final class ConsoleSocket implements AutoCloseable {

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int SUN_PATH_MAX = 108;
    private static final long SOCKADDR_UN_SIZE = 2 + SUN_PATH_MAX;
    // struct msghdr on x86_64: name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad)
    private static final long MSGHDR_SIZE = 56;
    // struct cmsghdr: len (size_t), level, type, then the descriptors
    private static final long CMSG_HEADER = 16;
    private static final long CONTROL_SIZE = 64;

    private final Fd listener;
    private final Path path;

    private ConsoleSocket(Fd listener, Path path) {
        this.listener = listener;
        this.path = path;
    }

    public static ConsoleSocket listen(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH_MAX) {
            throw new IOException("console socket path too long for a unix socket (" + name.length + " bytes): " + path);
        }
        Files.deleteIfExists(path);
        int fd = ErrnoException.check(LIBC.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket(AF_UNIX)");
        Fd listener = new Fd(fd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(SOCKADDR_UN_SIZE, 2);
            NativeMemory.view(address).putShort(0, (short) AF_UNIX).put(2, name);
            ErrnoException.check(LIBC.bind(fd, address.address(), (int) SOCKADDR_UN_SIZE), "bind(" + path + ")");
            ErrnoException.check(LIBC.listen(fd, 1), "listen(" + path + ")");
            return new ConsoleSocket(listener, path);
        } catch (IOException | RuntimeException | Error e) {
            listener.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Waits for the runtime to connect and send the terminal master.
     *
     * @param giveUp a descriptor that becomes readable when waiting is pointless (the runtime's pidfd)
     * @return the master, or empty when {@code giveUp} became readable or {@code timeout} passed first
     */
    public Optional<Fd> receiveMaster(Fd giveUp, Duration timeout) throws IOException {
        boolean[] ready = Poll.awaitReadable(timeout, listener, giveUp);
        if (!ready[0]) {
            return Optional.empty();
        }
        try (Arena arena = Arena.ofConfined(); Fd connection = accept()) {
            return Optional.of(receiveDescriptor(arena, connection));
        }
    }

    private Fd accept() throws IOException {
        while (true) {
            int fd = LIBC.accept4(listener.value(), 0, 0, SOCK_CLOEXEC);
            if (fd >= 0) {
                return new Fd(fd);
            }
            if (fd != -Libc.EINTR) {
                throw new ErrnoException("accept(" + path + ")", -fd);
            }
        }
    }

    private Fd receiveDescriptor(Arena arena, Fd connection) throws IOException {
        MemorySegment data = arena.allocate(256);
        MemorySegment iov = arena.allocate(16, 8);
        NativeMemory.view(iov).putLong(0, data.address()).putLong(8, data.byteSize());
        MemorySegment control = arena.allocate(CONTROL_SIZE, 8);
        MemorySegment message = arena.allocate(MSGHDR_SIZE, 8);
        ByteBuffer header = NativeMemory.view(message);
        header.putLong(16, iov.address()).putLong(24, 1L).putLong(32, control.address()).putLong(40, CONTROL_SIZE);
        long n;
        do {
            n = LIBC.recvmsg(connection.value(), message.address(), MSG_CMSG_CLOEXEC);
        } while (n == -Libc.EINTR);
        if (n < 0) {
            throw new ErrnoException("recvmsg(" + path + ")", (int) -n);
        }
        long controlLength = header.getLong(40);
        if (controlLength < CMSG_HEADER + 4) {
            throw new IOException("the runtime connected to " + path + " but sent no terminal descriptor");
        }
        ByteBuffer cmsg = NativeMemory.view(control);
        long cmsgLength = cmsg.getLong(0);
        int level = cmsg.getInt(8);
        int type = cmsg.getInt(12);
        if (level != SOL_SOCKET || type != SCM_RIGHTS || cmsgLength < CMSG_HEADER + 4) {
            throw new IOException("unexpected ancillary data on " + path + " (level " + level + ", type " + type + ")");
        }
        Fd master = new Fd(cmsg.getInt((int) CMSG_HEADER));
        for (int at = (int) CMSG_HEADER + 4; at + 4 <= cmsgLength; at += 4) {
            new Fd(cmsg.getInt(at)).close();
        }
        return master;
    }

    @Override
    public void close() {
        listener.close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a leftover socket file in the bundle goes with the bundle
        }
    }
}
