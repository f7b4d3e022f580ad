package io.podvisor.hypervisor.vsock.virtq;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestFaultLogTest {
    private final List<String> lines = new ArrayList<>();
    private long now = 1_000;
    private final GuestFaultLog log = new GuestFaultLog("pod-a", lines::add, () -> now);

    @Test
    void logsABurstPerWindowAndSaysHowManyItLeftOut() {
        for (int i = 0; i < 1000; i++) {
            int n = i;
            log.warn(() -> "fault " + n);
        }
        assertEquals(GuestFaultLog.BURST, lines.size());
        assertEquals("vm pod-a: fault 0", lines.getFirst());
        now += GuestFaultLog.WINDOW_NANOS;
        log.warn(() -> "fault 1000");
        assertEquals("vm pod-a: fault 1000 (and " + (1000 - GuestFaultLog.BURST)
                + " guest faults not logged before this one)", lines.getLast());
        assertEquals(1001, log.count());
    }

    @Test
    void doesNotBuildTheMessagesItLeavesOut() {
        for (int i = 0; i < GuestFaultLog.BURST; i++) {
            log.warn(() -> "fault");
        }
        log.warn(() -> {
            throw new AssertionError("built a message that is not logged");
        });
        assertTrue(lines.stream().allMatch(l -> l.startsWith("vm pod-a: ")));
    }
}
