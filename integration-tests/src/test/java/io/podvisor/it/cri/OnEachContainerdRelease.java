package io.podvisor.it.cri;

import io.podvisor.it.containerd.ContainerdRelease;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A CRI test class that runs once on each containerd release, each time on a test bed of its own (private
 * containerd with CNI and local images, runtime handler "podvisor" besides runc), which its tests reach as
 * {@link #bed}. Test classes run one after another, so the one field serves them all.
 */
@Timeout(600)
@ParameterizedClass
@EnumSource(ContainerdRelease.class)
abstract class OnEachContainerdRelease {
    static CriTestBed bed;

    @Parameter
    ContainerdRelease release;

    @BeforeParameterizedClassInvocation
    static void startBed(ContainerdRelease release) throws Exception {
        bed = CriTestBed.start(release, true);
    }

    @AfterParameterizedClassInvocation
    static void stopBed() throws Exception {
        if (bed != null) {
            bed.close();
            bed = null;
        }
    }
}
