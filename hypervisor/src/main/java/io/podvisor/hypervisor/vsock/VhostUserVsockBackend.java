package io.podvisor.hypervisor.vsock;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.podvisor.hypervisor.vsock.device.VsockDevice;
import io.podvisor.hypervisor.vsock.vhostuser.VhostUserServer;

/**
 * A virtio-vsock device back-end for QEMU's {@code vhost-user-vsock-device}, exposing the guest
 * the way Cloud Hypervisor and Firecracker do ("hybrid vsock"):
 * <ul>
 * <li>host to guest: connect to {@code hybridSocket}, write {@code CONNECT <port>\n}, read
 *     {@code OK <hostport>\n}, then the stream is the guest's port (the shim's agent client does this);</li>
 * <li>guest to host: the guest's connection to CID 2 port P is connected to the unix socket
 *     {@code <hybridSocket>_P}; if nothing listens there the guest gets a reset.</li>
 * </ul>
 * QEMU needs {@code -chardev socket,id=X,path=<vhostUserSocket> -device vhost-user-vsock-device,chardev=X}
 * and shared guest memory ({@code memory-backend-memfd,share=on}). Three platform threads per VM.
 * <p>
 * The guest is not trusted. Every value it writes is checked before use (ring placement and
 * indices, descriptor chains against guest memory, packet headers, source CID, credit); a bad
 * chain or packet is dropped, a broken ring stops the VM's vsock device and closes its
 * connections until the guest resets the device. Per VM at most
 * {@link io.podvisor.hypervisor.vsock.muxer.VsockMuxer#MAX_CONNECTIONS} connections and
 * {@link io.podvisor.hypervisor.vsock.muxer.VsockMuxer#MAX_BUFFERED_BYTES} bytes buffered for host
 * sockets; warnings about the guest are rate limited. Package by package, the way Firecracker
 * splits its device: {@code virtq} (guest memory, split virtqueues), {@code vhostuser} (the
 * protocol), {@code packet}, {@code connection} (one stream's state and buffer), {@code muxer}
 * (the hybrid unix side), {@code device} (the virtio device and its threads).
 */
public final class VhostUserVsockBackend implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VhostUserVsockBackend.class.getName());
    /** sun_path is 108 bytes including the terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;

    private final String vmName;
    private final Path hybridSocket;
    private final VsockDevice device;
    private final VhostUserServer server;

    private VhostUserVsockBackend(String vmName, Path hybridSocket, VsockDevice device, VhostUserServer server) {
        this.vmName = vmName;
        this.hybridSocket = hybridSocket;
        this.device = device;
        this.server = server;
    }

    /** Listens on vhostUserSocket for QEMU and on hybridSocket for host clients. Returns once both listen. */
    public static VhostUserVsockBackend start(String vmName, Path vhostUserSocket, Path hybridSocket, long guestCid)
            throws IOException {
        if (guestCid < 3 || guestCid > 0xFFFF_FFFEL) {
            throw new IllegalArgumentException("vm " + vmName + ": guest CID " + guestCid
                    + " is reserved or out of range; use 3 to 4294967294");
        }
        checkPath(vmName, vhostUserSocket, "vhost-user socket");
        // Guest-to-host connections use <hybridSocket>_<port>, up to 10 more characters.
        checkPath(vmName, Path.of(hybridSocket + "_4294967295"), "hybrid vsock socket (with its _<port> suffix)");
        VsockDevice device;
        try {
            device = new VsockDevice(vmName, guestCid, hybridSocket);
        } catch (IOException e) {
            throw new IOException("vm " + vmName + ": cannot listen on hybrid vsock socket " + hybridSocket + ": "
                    + e.getMessage(), e);
        }
        VhostUserServer server;
        try {
            server = new VhostUserServer(vmName, vhostUserSocket, device);
        } catch (IOException | RuntimeException e) {
            device.close();
            throw new IOException("vm " + vmName + ": cannot listen on vhost-user socket " + vhostUserSocket + ": "
                    + e.getMessage(), e);
        }
        LOG.log(Level.DEBUG, "vm {0}: vhost-user-vsock back-end on {1}, hybrid vsock on {2}, guest CID {3}", vmName,
                vhostUserSocket, hybridSocket, guestCid);
        return new VhostUserVsockBackend(vmName, hybridSocket, device, server);
    }

    private static void checkPath(String vmName, Path path, String what) {
        if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new IllegalArgumentException("vm " + vmName + ": " + what + " path " + path
                    + " is longer than a unix socket path may be (" + MAX_SOCKET_PATH + " bytes); use a shorter run directory");
        }
    }

    /** Closes everything, removes both sockets; never throws. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "vm " + vmName + ": closing the vhost-user server failed", e);
        }
        try {
            device.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "vm " + vmName + ": closing the vsock device failed", e);
        }
        try {
            Files.deleteIfExists(hybridSocket);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "vm {0}: cannot remove {1}: {2}", vmName, hybridSocket, e.getMessage());
        }
    }
}
