package io.podvisor.shim;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Where a shim listens, derived as containerd's own shims do: {@code /run/containerd/s/} + the hex
 * SHA-256 of containerd's address, the namespace and the group id (the pod's sandbox id, else the
 * container id) joined as a path, advertised as {@code unix://} + that path.
 */
public final class ShimAddress {
    public static final Path DEFAULT_SOCKET_DIR = Path.of("/run/containerd/s");
    public static final String ADDRESS_FILE = "address";
    private static final String SCHEME = "unix://";

    private ShimAddress() {
    }

    public static Path socketFor(Path socketDir, String containerdAddress, String namespace, String groupId) {
        String joined = Path.of(containerdAddress, namespace, groupId).normalize().toString();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(joined.getBytes(StandardCharsets.UTF_8));
            return socketDir.resolve(HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public static String toAddress(Path socket) {
        return SCHEME + socket;
    }

    /** The socket path of a {@code unix://} address, or of a plain path. */
    public static Path toPath(String address) {
        return Path.of(address.startsWith(SCHEME) ? address.substring(SCHEME.length()) : address);
    }

    /** Whether something accepts connections on {@code socket}. */
    public static boolean canConnect(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes the shim's address into the bundle, where containerd reads it back after a restart. */
    public static void writeAddressFile(Path bundle, String address) throws IOException {
        Path tmp = bundle.resolve(ADDRESS_FILE + ".tmp");
        Files.writeString(tmp, address);
        Files.move(tmp, bundle.resolve(ADDRESS_FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static Optional<String> readAddressFile(Path bundle) {
        try {
            return Optional.of(Files.readString(bundle.resolve(ADDRESS_FILE)).strip()).filter(s -> !s.isEmpty());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
