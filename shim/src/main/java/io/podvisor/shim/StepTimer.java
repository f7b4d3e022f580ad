package io.podvisor.shim;

/**
 * Debug lines timing the steps of one piece of work, such as a pod's start: each {@link #step} logs how long
 * the step took since the previous one (or since the timer began), naming the pod or container.
 */
public final class StepTimer {
    private final ShimLog log;
    private final String subject;
    private final long began = System.nanoTime();
    private long last = began;

    private StepTimer(ShimLog log, String subject) {
        this.log = log;
        this.subject = subject;
    }

    /** A timer whose lines carry {@code id} and begin with {@code subject} (e.g. "pod 3f2a"). */
    public static StepTimer start(String id, String subject) {
        return new StepTimer(ShimLog.forId(id), subject);
    }

    /** Logs "subject: step took N ms"; the next step counts from now. */
    public void step(String step) {
        long now = System.nanoTime();
        log.debug(subject + ": " + step + " took " + millis(now - last) + " ms");
        last = now;
    }

    /** Logs "subject: what took N ms in all" since the timer began. */
    public void total(String what) {
        log.debug(subject + ": " + what + " took " + millis(System.nanoTime() - began) + " ms in all");
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }
}
