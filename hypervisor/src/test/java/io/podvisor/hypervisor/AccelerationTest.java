package io.podvisor.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccelerationTest {
    @TempDir
    Path tmp;

    private final AtomicInteger probes = new AtomicInteger();

    private Acceleration.KvmBootProbe probe(Optional<String> outcome) {
        return () -> {
            probes.incrementAndGet();
            return outcome;
        };
    }

    private Path device() throws Exception {
        // Any read-write openable file stands in for the device node; the probe decides the rest.
        return Files.createFile(tmp.resolve("kvm"));
    }

    @Test
    void configSwitchOffMeansTcgWithoutProbing() throws Exception {
        Acceleration a = Acceleration.decide(false, device(), "off-" + tmp, probe(Optional.empty()));
        assertEquals(Acceleration.Mode.TCG, a.mode());
        assertTrue(a.reason().contains("kvm = \"off\""), a.reason());
        assertEquals(0, probes.get());
    }

    @Test
    void missingDeviceMeansTcgNamingTheDevice() {
        Path missing = tmp.resolve("no-kvm");
        Acceleration a = Acceleration.decide(true, missing, "missing-" + tmp, probe(Optional.empty()));
        assertEquals(Acceleration.Mode.TCG, a.mode());
        assertTrue(a.reason().contains(missing + " does not exist"), a.reason());
        assertEquals(0, probes.get());
    }

    @Test
    void deviceThatCannotBootTheGuestMeansTcgWithTheProbesReason() throws Exception {
        Acceleration a = Acceleration.decide(true, device(), "hang-" + tmp, probe(Optional.of("guest hung")));
        assertEquals(Acceleration.Mode.TCG, a.mode());
        assertTrue(a.reason().contains("guest hung"), a.reason());
    }

    @Test
    void bootingProbeMeansKvmAndRunsOncePerKey() throws Exception {
        Path dev = device();
        Acceleration first = Acceleration.decide(true, dev, "ok-" + tmp, probe(Optional.empty()));
        Acceleration second = Acceleration.decide(true, dev, "ok-" + tmp, probe(Optional.of("not asked again")));
        assertEquals(Acceleration.Mode.KVM, first.mode());
        assertEquals(Acceleration.Mode.KVM, second.mode());
        assertEquals(1, probes.get());
    }
}
