package io.podvisor.agent;

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

    /** One line per record on stderr (the guest console); must run before the first logger is created. */
    static void configureLogging() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "podvisor-agent: %4$s %3$s %5$s%6$s%n");
        }
        if (Boolean.getBoolean("podvisor.agent.debug")) {
            java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
            root.setLevel(java.util.logging.Level.FINE);
            for (java.util.logging.Handler handler : root.getHandlers()) {
                handler.setLevel(java.util.logging.Level.FINE);
            }
        }
    }

    /** The Maven project version from the jar manifest; "dev" when run from classes. */
    static String version() {
        String version = AgentMain.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
