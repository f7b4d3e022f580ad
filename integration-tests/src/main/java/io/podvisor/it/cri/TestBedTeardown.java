package io.podvisor.it.cri;

import io.podvisor.it.cri.CriTestBed;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Closes the CRI test bed once: when the benchmark is done, or on Ctrl-C, so that its pods'
 * VMs, shims and containerd do not outlive an interrupted run.
 */
public final class TestBedTeardown implements AutoCloseable {
    private final CriTestBed bed;
    private final PrintStream progress;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread hook = new Thread(this::teardown, "bench-teardown");

    private TestBedTeardown(CriTestBed bed, PrintStream progress) {
        this.bed = bed;
        this.progress = progress;
    }

    public static TestBedTeardown onExit(CriTestBed bed, PrintStream progress) {
        TestBedTeardown teardown = new TestBedTeardown(bed, progress);
        Runtime.getRuntime().addShutdownHook(teardown.hook);
        return teardown;
    }

    public CriTestBed get() {
        return bed;
    }

    private void teardown() {
        if (closed.compareAndSet(false, true)) {
            try {
                bed.close();
            } catch (Exception e) {
                progress.println("podvisor bench: cleaning up the private containerd failed: " + e);
            }
        }
    }

    @Override
    public void close() {
        teardown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }
}
