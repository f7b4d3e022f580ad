package io.podvisor.agent;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Entry point of the guest agent: {@code java -jar agent.jar [--listen ...] [--ready ...] [--guest]}. */
public final class AgentMain {

    private AgentMain() {}

    public static void main(String[] args) throws Exception {
        configureLogging();
        AgentOptions options;
        try {
            options = AgentOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("podvisor-agent: " + e.getMessage());
            System.exit(2);
            return;
        }
        Agent.start(options).awaitTermination();
    }

    /**
     * One line per record on stderr (the guest console); must run before the first logger is created. With
     * {@code -Dpodvisor.agent.debug=true} every logger (gRPC's and Netty's too) logs at FINE, its name on each line.
     */
    static void configureLogging() {
        boolean debug = Boolean.getBoolean("podvisor.agent.debug");
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                    debug ? "podvisor-agent: %4$s %3$s %5$s%6$s%n" : "podvisor-agent: %4$s %5$s%6$s%n");
        }
        if (debug) {
            Logger root = Logger.getLogger("");
            root.setLevel(Level.FINE);
            for (Handler handler : root.getHandlers()) {
                handler.setLevel(Level.FINE);
            }
        }
    }

    /** The Maven project version from the jar manifest; "dev" when run from classes. */
    static String version() {
        String version = AgentMain.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
