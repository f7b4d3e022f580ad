package io.podvisor.hypervisor.cloudhypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpResponseReaderTest {

    private static HttpResponse read(String raw) throws IOException {
        return new HttpResponseReader(new ByteArrayInputStream(raw.getBytes(StandardCharsets.ISO_8859_1))).read();
    }

    private static String chunk(String data, String extension) {
        return Integer.toHexString(data.length()) + extension + "\r\n" + data + "\r\n";
    }

    @Test
    void noContentHasAnEmptyBodyEvenWithoutContentLength() throws IOException {
        HttpResponse r = read("HTTP/1.1 204 No Content\r\nServer: Cloud Hypervisor API\r\n\r\nleftover");
        assertEquals(204, r.status());
        assertEquals("No Content", r.reason());
        assertEquals(0, r.body().length);
        assertTrue(r.isSuccess());
    }

    @Test
    void contentLengthDelimitsTheBody() throws IOException {
        HttpResponse r = read("HTTP/1.1 200 OK\r\ncontent-LENGTH: 5\r\n\r\nhello, and more");
        assertEquals("hello", r.bodyText());
        assertEquals("5", r.headers().get("content-length"));
    }

    @Test
    void chunkedBodyIsReassembledIgnoringExtensionsAndTrailers() throws IOException {
        HttpResponse r = read("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk("[\"Error", ";name=value") + chunk(" from API\",\"VM not booted", "") + chunk("\"]", "")
                + "0\r\nX-Trailer: yes\r\n\r\n");
        assertEquals(500, r.status());
        assertEquals("[\"Error from API\",\"VM not booted\"]", r.bodyText());
        assertTrue(!r.isSuccess());
    }

    @Test
    void bodyWithoutLengthRunsToTheEndOfTheStream() throws IOException {
        assertEquals("until eof", read("HTTP/1.1 200 OK\r\n\r\nuntil eof").bodyText());
    }

    @Test
    void interimResponsesAreSkipped() throws IOException {
        HttpResponse r = read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        assertEquals(200, r.status());
        assertEquals("{}", r.bodyText());
    }

    @Test
    void statusLineWithoutReasonIsAccepted() throws IOException {
        HttpResponse r = read("HTTP/1.1 405\r\nContent-Length: 0\r\n\r\n");
        assertEquals(405, r.status());
        assertEquals("", r.reason());
    }

    @Test
    void truncatedBodyIsAnError() {
        IOException e = assertThrows(IOException.class,
                () -> read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
        assertTrue(e.getMessage().contains("3 of 10"), e.getMessage());
    }

    @Test
    void garbageIsNotTakenForAResponse() {
        IOException e = assertThrows(IOException.class, () -> read("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
        assertTrue(e.getMessage().contains("SSH-2.0"), e.getMessage());
    }

    @Test
    void connectionClosedBeforeAnyResponseIsAnError() {
        assertThrows(IOException.class, () -> read(""));
    }

    @Test
    void badChunkSizeIsAnError() {
        assertThrows(IOException.class,
                () -> read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"));
    }
}
