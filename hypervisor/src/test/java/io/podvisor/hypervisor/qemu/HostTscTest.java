package io.podvisor.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HostTscTest {
    private static final String AMD_VM = """
            processor	: 0
            vendor_id	: AuthenticAMD
            model name	: AMD EPYC
            cpu MHz		: 2095.996
            flags		: fpu tsc constant_tsc

            processor	: 1
            cpu MHz		: 2095.996
            """;
    private static final String INTEL_SCALING = """
            processor	: 0
            model name	: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz
            cpu MHz		: 1199.841
            """;

    @Test
    void cpuMhzOfAHostWithoutFrequencyScalingIsTheTscRate() {
        assertEquals(OptionalLong.of(2_095_996), HostTsc.fromCpuinfo(AMD_VM, false));
    }

    @Test
    void withFrequencyScalingTheNominalRateInTheModelNameWins() {
        assertEquals(OptionalLong.of(2_400_000), HostTsc.fromCpuinfo(INTEL_SCALING, true));
        assertEquals(OptionalLong.of(1_199_841), HostTsc.fromCpuinfo(INTEL_SCALING, false));
    }

    @Test
    void noCpuMhzLineGivesNothing() {
        assertTrue(HostTsc.fromCpuinfo("processor\t: 0\nmodel name\t: QEMU Virtual CPU\n", false).isEmpty());
    }

    @Test
    void thisHostHasATscRate() throws Exception {
        long kHz = HostTsc.kHz();
        assertTrue(kHz > 100_000 && kHz < 10_000_000, kHz + " kHz");
    }
}
