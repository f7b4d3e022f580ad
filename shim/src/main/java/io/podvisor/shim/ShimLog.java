package io.podvisor.shim;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The shim's log: logfmt lines (time, level, msg, namespace, id) as containerd's shims write them,
 * to the bundle's {@code log} fifo (which containerd copies into its own log) or to stderr.
 */
public final class ShimLog {
    private static volatile PrintStream out = System.err;
    private static volatile String namespace = "";
    private static volatile boolean debugEnabled;

    private final String id;

    private ShimLog(String id) {
        this.id = id;
    }

    /** Sets where every ShimLog writes, the namespace each line names, and whether debug lines are kept. */
    public static void configure(OutputStream sink, String ns, boolean debug) {
        out = sink instanceof PrintStream ps ? ps : new PrintStream(sink, true, StandardCharsets.UTF_8);
        namespace = ns;
        debugEnabled = debug;
    }

    /** A log whose lines name container {@code id}. */
    public static ShimLog forId(String id) {
        return new ShimLog(id);
    }

    public void debug(String message) {
        if (debugEnabled) {
            write("debug", message, null);
        }
    }

    public void info(String message) {
        write("info", message, null);
    }

    public void warn(String message) {
        write("warning", message, null);
    }

    public void warn(String message, Throwable error) {
        write("warning", message, error);
    }

    public void error(String message, Throwable error) {
        write("error", message, error);
    }

    private void write(String level, String message, Throwable error) {
        StringBuilder line = new StringBuilder(160)
                .append("time=\"").append(Instant.now()).append("\" level=").append(level)
                .append(" msg=").append(quote(message));
        if (error != null) {
            line.append(" error=").append(quote(String.valueOf(error)));
        }
        line.append(" namespace=").append(quote(namespace)).append(" id=").append(quote(id))
                .append(" runtime=io.containerd.podvisor.v2");
        PrintStream sink = out;
        synchronized (sink) {
            sink.println(line);
            if (error != null && debugEnabled) {
                StringWriter trace = new StringWriter();
                error.printStackTrace(new PrintWriter(trace));
                sink.print(trace);
            }
            sink.flush();
        }
    }

    static String quote(String value) {
        StringBuilder quoted = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                default -> quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
