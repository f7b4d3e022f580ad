package io.podvisor.hypervisor.vsock.muxer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConnectLineTest {

    @Test
    void parsesAConnectLine() {
        assertEquals(1024, ConnectLine.parseConnect("CONNECT 1024"));
        assertEquals("CONNECT 1024\n", ConnectLine.connect(1024));
    }

    @Test
    void toleratesCaseAndSurroundingWhitespaceLikeFirecracker() {
        assertEquals(52, ConnectLine.parseConnect("connect  52\r"));
    }

    @Test
    void acceptsTheWholeU32Range() {
        assertEquals(0, ConnectLine.parseConnect("CONNECT 0"));
        assertEquals(0xFFFF_FFFFL, Integer.toUnsignedLong(ConnectLine.parseConnect("CONNECT 4294967295")));
        assertEquals("CONNECT 4294967295\n", ConnectLine.connect(-1));
    }

    @Test
    void rejectsAPortOutOfRange() {
        var e = assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseConnect("CONNECT 4294967296"));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseConnect("CONNECT 99999999999"));
        assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseConnect("CONNECT -1"));
    }

    @Test
    void rejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseConnect(""));
        assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseConnect("CONNECT"));
        assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseConnect("CONNECT 12 13"));
        assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseConnect("CONNECT 0x10"));
        var e = assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseConnect("GET / HTTP/1.1\u0001"));
        assertTrue(e.getMessage().contains("\\x01"), "non-printable bytes are escaped: " + e.getMessage());
    }

    @Test
    void parsesTheOkAnswer() {
        assertEquals(1073741824, ConnectLine.parseOk("OK 1073741824"));
        assertThrows(IllegalArgumentException.class, () -> ConnectLine.parseOk("ERR no listener"));
    }
}
