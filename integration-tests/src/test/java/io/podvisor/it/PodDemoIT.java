package io.podvisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code install/podvisor demo}, which install/demo.sh ends with: a CRI pod in a VM, then a runc pod. */
@Timeout(300)
class PodDemoIT {
    private static final Pattern POD = Pattern.compile(
            "== pod demo-(vm|runc) .*\\n   first output after [0-9.]+ s: hello from kernel (\\S+)\\n"
                    + "   pod IP from CNI: (\\S+)\\n   the container's eth0: (\\S+)/\\d+\\n   host -> \\S+ 200 served-from-the-pod\\n");

    @Test
    void demoShowsThePodOnTheGuestKernelWithItsIpReachableFromTheHost() throws Exception {
        PodvisorCommand.Result demo = PodvisorCommand.run(Map.of(), "demo");
        assertEquals(0, demo.exitCode(), demo.stdout() + demo.stderr());
        String hostKernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        Matcher pods = POD.matcher(demo.stdout());
        List<String> kernels = new ArrayList<>();
        while (pods.find()) {
            assertEquals(pods.group(3), pods.group(4), "the pod IP CNI reported is on the container's eth0");
            kernels.add(pods.group(1) + " " + pods.group(2));
        }
        assertEquals(2, kernels.size(), demo.stdout());
        assertTrue(kernels.get(0).startsWith("vm ") && !kernels.get(0).endsWith(" " + hostKernel), kernels.toString());
        assertEquals("runc " + hostKernel, kernels.get(1));
        assertTrue(demo.stdout().contains("== pods removed"), demo.stdout());
    }
}
