package io.podvisor.it.containerd;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code ctr events} running in the background: the lines containerd publishes (time, namespace,
 * topic, event as JSON), to wait on. Subscribed once {@link #open} returns.
 */
public final class CtrEvents implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private boolean ended;

    private CtrEvents(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon().name("ctr-events").start(this::read);
    }

    /** Starts {@code ctr events} and returns once it provably receives events (a namespace label update). */
    public static CtrEvents open(Path address, Ctr ctr) throws IOException {
        Process process = new ProcessBuilder(ctr.binary().toString(), "--address", address.toString(), "events")
                .redirectErrorStream(true).start();
        CtrEvents events = new CtrEvents(process);
        String marker = "podvisor.subscribed=" + System.nanoTime();
        ctr.run("namespaces", "create", ctr.namespace());
        ctr.run("namespaces", "label", ctr.namespace(), marker).orThrow();
        events.await(line -> line.contains("/namespaces/update") && line.contains(marker.split("=")[1]),
                Duration.ofSeconds(30));
        return events;
    }

    private void read() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // The stream ended with the process.
        }
        synchronized (this) {
            ended = true;
            notifyAll();
        }
    }

    /** Waits for a line matching {@code wanted}; fails with every line seen after {@code timeout}. */
    public synchronized String await(Predicate<String> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        while (true) {
            for (; checked < lines.size(); checked++) {
                if (wanted.test(lines.get(checked))) {
                    return lines.get(checked);
                }
            }
            long left = deadline - System.nanoTime();
            if (ended || left <= 0) {
                throw new AssertionError("event not seen within " + timeout + (ended ? " (ctr events ended)" : "")
                        + "; events:\n" + String.join("\n", lines));
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void close() {
        process.destroy();
    }
}
