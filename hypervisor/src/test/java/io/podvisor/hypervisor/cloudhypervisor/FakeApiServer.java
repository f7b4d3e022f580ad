package io.podvisor.hypervisor.cloudhypervisor;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A unix-socket HTTP server that answers as Cloud Hypervisor's API documents: 200 with a JSON
 * body for the GET operations and the device additions, 204 for the rest, unless a test scripts
 * another raw response for a path. It records every request with the descriptors that came
 * with it.
 */
final class FakeApiServer implements AutoCloseable {
    static final String PING = "{\"build_version\":\"v54.0\",\"version\":\"54.0\",\"pid\":4242,\"features\":[\"kvm\"]}";
    static final String INFO = "{\"config\":{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":1}},"
            + "\"state\":\"Running\",\"memory_actual_size\":268435456}";
    static final String COUNTERS = "{\"_disk0\":{\"read_bytes\":4096,\"write_bytes\":0},\"_net1\":{\"rx_bytes\":99}}";
    static final String PCI_DEVICE = "{\"id\":\"_fs3\",\"bdf\":\"0000:00:05.0\"}";

    /**
     * One request as received.
     *
     * @param fdContents what could be read through each descriptor passed with the request,
     *                   read while the connection was open (the descriptors close with it)
     */
    record Request(String method, String target, Map<String, String> headers, String body, List<String> fdContents) {}

    private final Path socket;
    private final AFUNIXServerSocket server;
    private final Thread acceptor;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, String> scripted = new HashMap<>();
    private final List<String> answered = new ArrayList<>();
    private Consumer<Request> listener = r -> {};

    FakeApiServer(Path socket) throws IOException {
        this.socket = socket;
        Files.deleteIfExists(socket);
        server = AFUNIXServerSocket.newInstance();
        server.bind(AFUNIXSocketAddress.of(socket));
        acceptor = Thread.ofVirtual().name("fake-ch-api").start(this::serve);
    }

    Path socket() {
        return socket;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    Request last() {
        return requests.getLast();
    }

    /**
     * Called with each request before it is answered, starting with those already received (a
     * client may connect as soon as the socket is bound, before this is called).
     */
    synchronized void onRequest(Consumer<Request> listener) {
        requests.forEach(listener);
        this.listener = listener;
    }

    /** Waits until a request for {@code target} has been answered. */
    synchronized void awaitAnswered(String target) throws InterruptedException {
        while (!answered.contains(target)) {
            wait();
        }
    }

    /** Answers requests for {@code target} (e.g. /api/v1/vm.boot) with these exact bytes. */
    synchronized void respond(String target, String rawResponse) {
        scripted.put(target, rawResponse);
    }

    static String response(int status, String reason, String json) {
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nServer: Cloud Hypervisor API\r\n"
                + "Connection: keep-alive\r\nContent-Type: application/json\r\n";
        if (json == null) {
            return head + "\r\n";
        }
        return head + "Content-Length: " + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
    }

    private synchronized String answerFor(Request r) {
        String raw = scripted.get(r.target());
        if (raw != null) {
            return raw;
        }
        return switch (r.target()) {
            case "/api/v1/vmm.ping" -> response(200, "OK", PING);
            case "/api/v1/vm.info" -> response(200, "OK", INFO);
            case "/api/v1/vm.counters" -> response(200, "OK", COUNTERS);
            case "/api/v1/vm.add-net", "/api/v1/vm.add-fs", "/api/v1/vm.add-disk" -> response(200, "OK", PCI_DEVICE);
            default -> response(204, "No Content", null);
        };
    }

    private void serve() {
        while (!server.isClosed()) {
            try (AFUNIXSocket conn = server.accept()) {
                conn.setAncillaryReceiveBufferSize(1024);
                Request request = read(conn, new BufferedInputStream(conn.getInputStream()));
                synchronized (this) {
                    requests.add(request);
                    listener.accept(request);
                }
                OutputStream out = conn.getOutputStream();
                out.write(answerFor(request).getBytes(StandardCharsets.UTF_8));
                out.flush();
                synchronized (this) {
                    answered.add(request.target());
                    notifyAll();
                }
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                throw new IllegalStateException("fake Cloud Hypervisor API failed", e);
            }
        }
    }

    private static Request read(AFUNIXSocket conn, InputStream in) throws IOException {
        String[] requestLine = line(in).split(" ");
        List<String> fdContents = new ArrayList<>();
        for (FileDescriptor fd : conn.getReceivedFileDescriptors()) {
            fdContents.add(new String(new FileInputStream(fd).readAllBytes(), StandardCharsets.UTF_8));
        }
        Map<String, String> headers = new HashMap<>();
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        String body = null;
        if (headers.containsKey("content-length")) {
            body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
        }
        if (!requestLine[2].equals("HTTP/1.1")) {
            throw new IOException("not an HTTP/1.1 request: " + String.join(" ", requestLine));
        }
        return new Request(requestLine[0], requestLine[1], Map.copyOf(headers), body, List.copyOf(fdContents));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("request ended early");
            }
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        if (!s.endsWith("\r")) {
            throw new IOException("request line without CRLF: " + s);
        }
        return s.substring(0, s.length() - 1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(socket);
    }
}
