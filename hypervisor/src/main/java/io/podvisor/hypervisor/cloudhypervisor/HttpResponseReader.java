package io.podvisor.hypervisor.cloudhypervisor;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one HTTP/1.1 response: status line, headers, then a body delimited by Content-Length,
 * chunked transfer coding, or the end of the stream.
 */
final class HttpResponseReader {
    private static final int MAX_LINE = 8192;
    private static final int MAX_BODY = 16 << 20;

    private final InputStream in;

    HttpResponseReader(InputStream in) {
        this.in = in;
    }

    HttpResponse read() throws IOException {
        while (true) {
            String statusLine = readLine();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: \"" + statusLine + "\"");
            }
            int status;
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("bad HTTP status in \"" + statusLine + "\"");
            }
            String reason = parts.length == 3 ? parts[2] : "";
            Map<String, String> headers = readHeaders();
            if (status >= 100 && status < 200) {
                continue; // interim response; the final one follows
            }
            return new HttpResponse(status, reason, Map.copyOf(headers), readBody(status, headers));
        }
    }

    private Map<String, String> readHeaders() throws IOException {
        Map<String, String> headers = new HashMap<>();
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed HTTP header line: \"" + line + "\"");
            }
            headers.merge(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
                    line.substring(colon + 1).strip(), (a, b) -> a + ", " + b);
        }
        return headers;
    }

    private byte[] readBody(int status, Map<String, String> headers) throws IOException {
        if (status == 204 || status == 304) {
            return new byte[0];
        }
        String transferEncoding = headers.getOrDefault("transfer-encoding", "");
        if (transferEncoding.toLowerCase(Locale.ROOT).contains("chunked")) {
            return readChunked();
        }
        String length = headers.get("content-length");
        if (length != null) {
            long n;
            try {
                n = Long.parseLong(length);
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length \"" + length + "\"");
            }
            if (n < 0 || n > MAX_BODY) {
                throw new IOException("Content-Length " + n + " out of range");
            }
            return readExactly((int) n);
        }
        return readToEnd();
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine();
            int semicolon = sizeLine.indexOf(';');
            String hex = (semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).strip();
            int size;
            try {
                size = Integer.parseInt(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size line \"" + sizeLine + "\"");
            }
            if (size < 0 || body.size() + (long) size > MAX_BODY) {
                throw new IOException("chunked body larger than " + MAX_BODY + " bytes");
            }
            if (size == 0) {
                readHeaders(); // trailers, up to the empty line
                return body.toByteArray();
            }
            body.writeBytes(readExactly(size));
            if (!readLine().isEmpty()) {
                throw new IOException("chunk of " + size + " bytes not followed by CRLF");
            }
        }
    }

    private byte[] readExactly(int n) throws IOException {
        byte[] data = in.readNBytes(n);
        if (data.length < n) {
            throw new EOFException("connection closed after " + data.length + " of " + n + " body bytes");
        }
        return data;
    }

    private byte[] readToEnd() throws IOException {
        byte[] data = in.readNBytes(MAX_BODY + 1);
        if (data.length > MAX_BODY) {
            throw new IOException("body larger than " + MAX_BODY + " bytes");
        }
        return data;
    }

    /** A line without its CRLF (a bare LF is accepted too). */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException(line.size() == 0
                        ? "connection closed before the response was complete"
                        : "connection closed in the middle of a line");
            }
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            if (line.size() >= MAX_LINE) {
                throw new IOException("HTTP line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
    }
}
