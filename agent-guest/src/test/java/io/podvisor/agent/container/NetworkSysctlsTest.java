package io.podvisor.agent.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkSysctlsTest {

    @TempDir
    Path procSys;

    private static ObjectNode spec(String sysctl) throws Exception {
        return (ObjectNode) GuestSpec.JSON.readTree("{\"linux\": {\"sysctl\": " + sysctl + "}}");
    }

    @Test
    void netSysctlsLeaveTheSpecAndTheRestStay() throws Exception {
        ObjectNode spec = spec("""
                {"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shm_rmid_forced": "1",
                 "net/ipv4/ping_group_range": "0 2147483647"}""");
        NetworkSysctls taken = NetworkSysctls.takeFrom(spec);
        assertEquals(Map.of("net.ipv4.ip_unprivileged_port_start", "0", "net.ipv4.ping_group_range", "0 2147483647"),
                taken.values());
        assertEquals("{\"kernel.shm_rmid_forced\":\"1\"}", spec.path("linux").path("sysctl").toString());
    }

    @Test
    void appliesEachUnderProcSys() throws Exception {
        Path file = procSys.resolve("net/ipv4/ip_unprivileged_port_start");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "1024");
        NetworkSysctls.takeFrom(spec("{\"net.ipv4.ip_unprivileged_port_start\": \"0\"}")).apply(procSys);
        assertEquals("0", Files.readString(file));
    }

    @Test
    void aSysctlTheKernelLacksIsNamed() throws Exception {
        NetworkSysctls taken = NetworkSysctls.takeFrom(spec("{\"net.ipv4.no_such_knob\": \"1\"}"));
        InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> taken.apply(procSys));
        assertTrue(e.getMessage().contains("net.ipv4.no_such_knob"), e.getMessage());
    }

    @Test
    void aNameThatWouldLeaveProcSysIsRefused() throws Exception {
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> NetworkSysctls.takeFrom(spec("{\"net/../../etc/passwd\": \"x\"}")));
        assertTrue(e.getMessage().contains("net/../../etc/passwd"), e.getMessage());
    }

    @Test
    void aSpecWithoutSysctlsHasNone() throws Exception {
        assertTrue(NetworkSysctls.takeFrom((ObjectNode) GuestSpec.JSON.readTree("{}")).values().isEmpty());
    }
}
