package io.podvisor.hypervisor.vsock.vhostuser;

import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;

import io.podvisor.libc.ErrnoException;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

import static io.podvisor.libc.Libc.LIBC;

/**
 * Listens on the vhost-user socket for the front-end (QEMU connects as client), reads its
 * messages with their SCM_RIGHTS fds on one platform thread, and answers. One front-end at a time;
 * when it goes away the device is reset and the next one may connect.
 */
public final class VhostUserServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VhostUserServer.class.getName());
    private static final int MAX_FDS = 8;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private final String vmName;
    private final Path socketPath;
    private final VhostUserDevice device;
    private final AFUNIXServerSocket server;
    private final Thread thread;
    private volatile AFUNIXSocket current;
    private volatile boolean closing;

    public VhostUserServer(String vmName, Path socketPath, VhostUserDevice device) throws IOException {
        this.vmName = vmName;
        this.socketPath = socketPath;
        this.device = device;
        Files.deleteIfExists(socketPath);
        this.server = AFUNIXServerSocket.newInstance();
        try {
            server.bind(AFUNIXSocketAddress.of(socketPath), 1);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        this.thread = Thread.ofPlatform().name("vhost-user-" + vmName).daemon().unstarted(this::acceptLoop);
        thread.start();
    }

    private void acceptLoop() {
        while (!closing) {
            AFUNIXSocket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closing) {
                    LOG.log(Level.ERROR, "vm {0}: vhost-user socket {1} stopped accepting: {2}", vmName, socketPath,
                            e.getMessage());
                }
                return;
            }
            current = socket;
            if (closing) {
                closeQuietly(socket);
                return;
            }
            LOG.log(Level.DEBUG, "vm {0}: vhost-user front-end connected on {1}", vmName, socketPath);
            serve(socket);
            current = null;
            closeQuietly(socket);
            try {
                device.reset();
            } catch (RuntimeException e) {
                // The next front-end must still be able to connect.
                LOG.log(Level.ERROR, "vm " + vmName + ": resetting the vsock device failed", e);
            }
        }
    }

    private void serve(AFUNIXSocket socket) {
        VhostUserSession session = new VhostUserSession(vmName, device);
        try {
            socket.setAncillaryReceiveBufferSize(1024);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] header = new byte[VhostUserMessage.HEADER_SIZE];
            while (!closing) {
                if (!readFully(in, header, true)) {
                    LOG.log(Level.DEBUG, "vm {0}: vhost-user front-end disconnected", vmName);
                    return;
                }
                int[] h = VhostUserMessage.parseHeader(header);
                byte[] payload = new byte[h[2]];
                readFully(in, payload, false);
                int[] fds = takeFds(socket);
                VhostUserMessage message = new VhostUserMessage(h[0], h[1], payload, fds);
                byte[] reply = session.handle(message);
                if (reply != null) {
                    out.write(reply);
                    out.flush();
                }
            }
        } catch (IOException e) {
            if (!closing) {
                LOG.log(Level.ERROR, "vm {0}: vhost-user front-end dropped: {1}", vmName, e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "vm " + vmName + ": vhost-user front-end dropped after an internal error", e);
        }
    }

    /** Reads exactly {@code b.length} bytes; at a message boundary, EOF returns false. */
    private static boolean readFully(InputStream in, byte[] b, boolean atBoundary) throws IOException {
        int done = 0;
        while (done < b.length) {
            int n = in.read(b, done, b.length - done);
            if (n < 0) {
                if (done == 0 && atBoundary) {
                    return false;
                }
                throw new EOFException("front-end closed the socket in the middle of a message");
            }
            done += n;
        }
        return true;
    }

    /**
     * Takes the fds that came with the message as plain fd numbers this backend owns: junixsocket
     * tracks what it received and would close it with the socket, so each is duplicated and the
     * received one closed.
     */
    private static int[] takeFds(AFUNIXSocket socket) throws IOException {
        FileDescriptor[] received = socket.getReceivedFileDescriptors();
        if (received == null || received.length == 0) {
            return new int[0];
        }
        int[] owned = new int[received.length];
        int count = 0;
        try {
            for (FileDescriptor fd : received) {
                int raw = FileDescriptorCast.using(fd).as(Integer.class);
                owned[count] = ErrnoException.check(LIBC.fcntl(raw, F_DUPFD_CLOEXEC, 0), "fcntl(F_DUPFD_CLOEXEC)");
                count++;
            }
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < count; i++) {
                LIBC.closeQuietly(owned[i]);
            }
            throw e;
        } finally {
            for (FileDescriptor fd : received) {
                try (FileInputStream closer = new FileInputStream(fd)) {
                    // Closing the stream closes the received descriptor.
                }
            }
        }
        if (count > MAX_FDS) {
            for (int fd : owned) {
                LIBC.closeQuietly(fd);
            }
            throw new VhostUserException("front-end sent " + count + " fds with one message");
        }
        return owned;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Dropping the connection anyway.
        }
    }

    @Override
    public void close() {
        closing = true;
        closeQuietly(server);
        AFUNIXSocket socket = current;
        if (socket != null) {
            closeQuietly(socket);
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.log(Level.WARNING, "vm {0}: vhost-user thread did not stop", vmName);
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "vm {0}: cannot remove {1}: {2}", vmName, socketPath, e.getMessage());
        }
    }
}
