package io.podvisor.it.cri;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One CRI test bed (private containerd 1.7 with CNI and local images) for a whole test class:
 * {@code @RegisterExtension static final CriTestBedExtension BED = CriTestBedExtension.withPodvisor();}, then
 * {@code BED.bed()} in the tests.
 */
public final class CriTestBedExtension implements BeforeAllCallback, AfterAllCallback {
    private final boolean podvisor;
    private CriTestBed bed;

    private CriTestBedExtension(boolean podvisor) {
        this.podvisor = podvisor;
    }

    /** containerd with the runtime handler "podvisor" besides runc. */
    public static CriTestBedExtension withPodvisor() {
        return new CriTestBedExtension(true);
    }

    /** containerd with its default runtime (runc) only. */
    public static CriTestBedExtension runcOnly() {
        return new CriTestBedExtension(false);
    }

    public CriTestBed bed() {
        return bed;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        bed = CriTestBed.start(podvisor);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (bed != null) {
            bed.close();
            bed = null;
        }
    }
}
