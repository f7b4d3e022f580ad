package io.podvisor.it.cri;

import io.grpc.StatusRuntimeException;
import io.podvisor.it.Checkout;
import io.podvisor.it.containerd.ContainerdHarness;
import io.podvisor.it.containerd.ContainerdRelease;
import io.podvisor.it.containerd.OciImages;
import io.podvisor.proto.cri.v1.VersionRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private containerd with its CRI plugin, a CNI bridge network, a locally built sandbox (pause)
 * image and a busybox image in namespace {@code k8s.io}, and a CRI client on its socket.
 */
public final class CriTestBed implements AutoCloseable {
    /** The sandbox image containerd is configured with: built locally, so nothing is pulled. */
    public static final String PAUSE_IMAGE = ContainerdHarness.SANDBOX_IMAGE;
    public static final String BUSYBOX_IMAGE = "docker.io/podvisor/busybox:cri";
    public static final String PODVISOR_HANDLER = "podvisor";

    private final ContainerdHarness containerd;
    private final CniBridge cni;
    private final CriClient client;

    private CriTestBed(ContainerdHarness containerd, CniBridge cni, CriClient client) {
        this.containerd = containerd;
        this.cni = cni;
        this.client = client;
    }

    /** On containerd 1.7: with runc only ({@code podvisor == false}) or with handler "podvisor" too. */
    public static CriTestBed start(boolean podvisor) throws IOException {
        return start(ContainerdRelease.V1_7, podvisor);
    }

    /** With runc only ({@code podvisor == false}) or with handler "podvisor" from the repository's install/ dir too. */
    public static CriTestBed start(ContainerdRelease release, boolean podvisor) throws IOException {
        return start(release, podvisor, "");
    }

    /**
     * As {@link #start(ContainerdRelease, boolean)}, with {@code podvisorToml} after the podvisor runtime's section of
     * containerd's config (such as its {@code options} table, under {@link ContainerdRelease#runtimesSection()}).
     */
    public static CriTestBed start(ContainerdRelease release, boolean podvisor, String podvisorToml) throws IOException {
        return start(release, podvisor, podvisorToml, false);
    }

    /**
     * As {@link #start(ContainerdRelease, boolean, String)}; with {@code hostPorts}, CNI's portmap plugin
     * forwards the host ports of pods' port mappings (see {@link CniBridge#write(Path, boolean)}).
     */
    public static CriTestBed start(ContainerdRelease release, boolean podvisor, String podvisorToml, boolean hostPorts)
            throws IOException {
        ContainerdHarness.Options options = ContainerdHarness.Options.defaults().withRelease(release).withCri();
        if (podvisor) {
            // -Dpodvisor.shimDir=<prefix>/bin runs an installed shim instead of the checkout's.
            Path install = Checkout.shimDir();
            // Declaring any runtime replaces containerd's default table, so runc is declared again.
            options = options.withPathFirst(install).withExtraConfig("""
                    [%1$s.runc]
                      runtime_type = "io.containerd.runc.v2"
                    [%1$s.%2$s]
                      runtime_type = "io.containerd.podvisor.v2"
                    %3$s
                    """.formatted(release.runtimesSection(), PODVISOR_HANDLER, podvisorToml));
        }
        ContainerdHarness containerd = ContainerdHarness.start(options);
        try {
            CniBridge cni = CniBridge.write(containerd.dir().resolve("cni"), hostPorts);
            var ctr = containerd.ctr("k8s.io");
            OciImages.importBusybox(ctr, containerd.dir(), PAUSE_IMAGE,
                    List.of("sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"));
            OciImages.importBusybox(ctr, containerd.dir(), BUSYBOX_IMAGE, List.of("sh"));
            CriClient client = CriClient.connect(containerd.address(), Duration.ofMinutes(4));
            try {
                client.runtime().version(VersionRequest.newBuilder().setVersion("v1").build());
            } catch (StatusRuntimeException e) {
                client.close();
                throw new IOException("containerd's CRI plugin does not answer (" + e.getStatus()
                        + "); containerd log:\n" + containerd.logTail(), e);
            }
            return new CriTestBed(containerd, cni, client);
        } catch (IOException | RuntimeException e) {
            containerd.close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            containerd.close();
            throw new IOException("interrupted while starting the CRI test bed", e);
        }
    }

    public CriClient cri() {
        return client;
    }

    public ContainerdHarness containerd() {
        return containerd;
    }

    public CniBridge cni() {
        return cni;
    }

    /** Where pods of this test bed keep their container logs. */
    public Path logDir(String pod) {
        return containerd.dir().resolve("logs").resolve(pod);
    }

    @Override
    public void close() throws Exception {
        try {
            client.close();
        } finally {
            try {
                containerd.close();
            } finally {
                cni.remove();
            }
        }
    }
}
