package io.podvisor.shim.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PodInfoTest {
    @TempDir
    Path podDir;

    @Test
    void recordsTheCriNamesAndTheVmSizeAndReadsThemBack() throws Exception {
        var spec = new ObjectMapper().readTree("""
                {"annotations": {"io.kubernetes.cri.sandbox-namespace": "default",
                                 "io.kubernetes.cri.sandbox-name": "hello"}}""");
        PodInfo info = PodInfo.of("abc123", spec, new VmSize(2, 288), 4242, 4343);

        info.write(podDir);

        String json = Files.readString(podDir.resolve(PodInfo.FILE));
        assertTrue(json.contains("\"memory_mib\":288"), json);
        assertTrue(json.contains("\"vmm_pid\":4242"), json);
        assertFalse(Files.exists(podDir.resolve(PodInfo.FILE + ".tmp")));
        assertEquals(new PodInfo("abc123", "default", "hello", 2, 288, 4242, 4343), PodInfo.read(podDir));
    }

    @Test
    void aPodWithoutCriAnnotationsHasEmptyNames() throws Exception {
        PodInfo info = PodInfo.of("ctr-task", new ObjectMapper().readTree("{}"), new VmSize(1, 256), 1, 2);
        assertEquals("", info.namespace());
        assertEquals("", info.name());
    }
}
