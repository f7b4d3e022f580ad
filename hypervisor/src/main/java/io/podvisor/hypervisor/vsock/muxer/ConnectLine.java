package io.podvisor.hypervisor.vsock.muxer;

/**
 * The hybrid vsock handshake lines: the host client writes {@code CONNECT <port>\n}, the backend
 * answers {@code OK <hostport>\n} once the guest accepted. Ports are u32, held in Java ints.
 */
public final class ConnectLine {
    /** Longest line either side accepts, newline included. */
    public static final int MAX_LENGTH = 32;

    private ConnectLine() {
    }

    public static String connect(int port) {
        return "CONNECT " + Integer.toUnsignedString(port) + "\n";
    }

    /** The guest port of a {@code CONNECT <port>} line (without its newline). */
    static int parseConnect(String line) throws IllegalArgumentException {
        return parsePort(line, "CONNECT");
    }

    /** The host port of an {@code OK <port>} line (without its newline). */
    public static int parseOk(String line) throws IllegalArgumentException {
        return parsePort(line, "OK");
    }

    private static int parsePort(String line, String keyword) {
        String[] words = line.strip().split("[ \\t\\r]+");
        if (words.length != 2 || !words[0].equalsIgnoreCase(keyword)) {
            throw new IllegalArgumentException("expected \"" + keyword + " <port>\", got \"" + printable(line) + "\"");
        }
        String digits = words[1];
        if (digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not a port number: \"" + printable(digits) + "\"");
        }
        long port = Long.parseLong(digits);
        if (port > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("port " + digits + " is out of range (at most 4294967295)");
        }
        return (int) port;
    }

    public static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append(String.format("\\x%02x", (int) c));
            }
        }
        return b.toString();
    }
}
