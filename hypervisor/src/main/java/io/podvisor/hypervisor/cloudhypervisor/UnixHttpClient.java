package io.podvisor.hypervisor.cloudhypervisor;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A minimal HTTP/1.1 client over a unix socket, one connection per request. File descriptors
 * given with a request travel as SCM_RIGHTS ancillary data of its first write, as Cloud
 * Hypervisor expects them.
 */
final class UnixHttpClient {
    private final Path socket;
    private final Duration timeout;

    UnixHttpClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    Path socket() {
        return socket;
    }

    /**
     * Sends one request and reads its response. A server that is not listening (yet) is reported
     * as a {@link ConnectException}.
     *
     * @param json the JSON body, or null for a request without a body
     * @param fds  descriptors passed along with the request (may be empty)
     */
    HttpResponse send(String method, String target, String json, List<FileDescriptor> fds) throws IOException {
        byte[] request = encode(method, target, json);
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        try (AFUNIXSocket conn = AFUNIXSocket.newInstance()) {
            try {
                conn.connect(AFUNIXSocketAddress.of(socket), timeoutMillis);
            } catch (SocketException e) {
                ConnectException refused = new ConnectException(e.getMessage());
                refused.initCause(e);
                throw refused;
            }
            conn.setSoTimeout(timeoutMillis);
            if (!fds.isEmpty()) {
                conn.setOutboundFileDescriptors(fds.toArray(FileDescriptor[]::new));
            }
            OutputStream out = conn.getOutputStream();
            out.write(request);
            out.flush();
            return new HttpResponseReader(new BufferedInputStream(conn.getInputStream())).read();
        }
    }

    static byte[] encode(String method, String target, String json) {
        byte[] body = json == null ? null : json.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: localhost\r\n")
                .append("Accept: application/json\r\n");
        if (body != null) {
            head.append("Content-Type: application/json\r\n")
                    .append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
        if (body != null) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }
}
