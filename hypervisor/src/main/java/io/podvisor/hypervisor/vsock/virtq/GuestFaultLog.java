package io.podvisor.hypervisor.vsock.virtq;

import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Warnings about what one VM's guest did wrong. A hostile guest can misbehave millions of times a
 * second, so at most {@link #BURST} warnings are logged per {@link #WINDOW_NANOS}; the others are
 * counted and the next logged warning says how many were left out. Used on the device thread only.
 */
public final class GuestFaultLog {
    static final int BURST = 20;
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String vmName;
    private final Consumer<String> sink;
    private final LongSupplier clock;
    private long windowStart;
    private int loggedInWindow;
    private long notLogged;
    private long total;

    public GuestFaultLog(String vmName, System.Logger log) {
        this(vmName, message -> log.log(Level.WARNING, message), System::nanoTime);
    }

    GuestFaultLog(String vmName, Consumer<String> sink, LongSupplier clock) {
        this.vmName = vmName;
        this.sink = sink;
        this.clock = clock;
        this.windowStart = clock.getAsLong();
    }

    public void warn(Supplier<String> what) {
        total++;
        long now = clock.getAsLong();
        if (now - windowStart >= WINDOW_NANOS) {
            windowStart = now;
            loggedInWindow = 0;
        }
        if (loggedInWindow >= BURST) {
            notLogged++;
            return;
        }
        loggedInWindow++;
        String more = notLogged == 0 ? "" : " (and " + notLogged + " guest faults not logged before this one)";
        notLogged = 0;
        sink.accept("vm " + vmName + ": " + what.get() + more);
    }

    /** Every fault reported so far, logged or not. */
    public long count() {
        return total;
    }
}
