package io.podvisor.it;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * For the benchmark and the demo, which run the harness and Podvisor's own classes in their JVM:
 * only severe log messages, unless {@code $PODVISOR_DEBUG} is set.
 */
public final class ToolLogging {
    /** Held so the levels stick: java.util.logging keeps loggers weakly. */
    private static final List<Logger> QUIETED = List.of(
            Logger.getLogger("io.netty.bootstrap"), Logger.getLogger("io.podvisor"), Logger.getLogger("io.grpc"));

    private ToolLogging() {}

    public static void quietUnlessDebug() {
        if (System.getenv("PODVISOR_DEBUG") == null) {
            QUIETED.forEach(logger -> logger.setLevel(Level.SEVERE));
        }
    }
}
