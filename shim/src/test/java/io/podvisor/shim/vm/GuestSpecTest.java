package io.podvisor.shim.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.Code;
import io.podvisor.hypervisor.virtiofs.SharedDir;
import io.podvisor.shim.task.TaskException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real bind mounts into a real shared directory (needs root, as the shim does). */
class GuestSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void bindMountSourcesMoveIntoTheShareAndOtherMountsStay() throws Exception {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Files.writeString(volume.resolve("data.txt"), "from the host");
        Path hosts = Files.writeString(tmp.resolve("hosts"), "127.0.0.1 localhost\n");
        JsonNode spec = JSON.readTree("""
                {"mounts": [
                  {"destination": "/proc", "type": "proc", "source": "proc"},
                  {"destination": "/data", "type": "bind", "source": "%s", "options": ["rbind", "rw"]},
                  {"destination": "/etc/hosts", "type": "bind", "source": "%s", "options": ["bind", "ro"]}
                ]}""".formatted(volume, hosts));
        try (SharedDir shared = SharedDir.create("spec-test", tmp.resolve("shared"))) {
            JsonNode guest = JSON.readTree(GuestSpec.rewrite(spec, "c1", "container c1 of pod p1", shared));

            assertEquals("proc", guest.at("/mounts/0/source").asText());
            assertEquals("/run/podvisor/shared/c1/mounts/1", guest.at("/mounts/1/source").asText());
            assertEquals("/run/podvisor/shared/c1/mounts/2", guest.at("/mounts/2/source").asText());
            assertEquals("/etc/hosts", guest.at("/mounts/2/destination").asText());
            assertEquals("from the host", Files.readString(shared.path().resolve("c1/mounts/1/data.txt")));
            assertThrows(java.io.IOException.class,
                    () -> Files.writeString(shared.path().resolve("c1/mounts/2"), "changed"),
                    "a read-only volume must stay read-only in the share");
        }
    }

    @Test
    void runtimeSpecVersionIsOneTheGuestsCrunAccepts() throws Exception {
        JsonNode spec = JSON.readTree("{\"ociVersion\": \"1.2.0\", \"mounts\": []}");
        try (SharedDir shared = SharedDir.create("spec-test", tmp.resolve("shared"))) {
            assertEquals("1.0.2", JSON.readTree(GuestSpec.rewrite(spec, "c1", "container c1 of pod p1", shared)).path("ociVersion").asText());
        }
    }

    @Test
    void missingVolumeSourceNamesPodContainerPathAndDestinationAndLeavesNothingInTheShare() throws Exception {
        Path present = Files.createDirectories(tmp.resolve("present"));
        Path absent = tmp.resolve("absent");
        JsonNode spec = JSON.readTree("""
                {"mounts": [
                  {"destination": "/present", "type": "bind", "source": "%s", "options": ["rbind"]},
                  {"destination": "/data", "type": "bind", "source": "%s", "options": ["rbind"]}
                ]}""".formatted(present, absent));
        try (SharedDir shared = SharedDir.create("spec-test", tmp.resolve("shared"))) {
            TaskException e = assertThrows(TaskException.class,
                    () -> GuestSpec.rewrite(spec, "c1", "container c1 (app) of pod p1 (shop/web)", shared));

            assertEquals(Code.FAILED_PRECONDITION, e.code());
            assertEquals("podvisor: container c1 (app) of pod p1 (shop/web): the host path " + absent
                    + " of its mount at /data does not exist on the host: create it or correct the volume"
                    + " (was it removed after the container was created?)", e.getMessage());
            try (Stream<Path> left = Files.list(shared.path())) {
                assertEquals(List.of(), left.toList(), "nothing of the failed container stays in the share");
            }
            assertTrue(Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .noneMatch(line -> line.split(" ")[4].startsWith(shared.path() + "/")),
                    "nothing stays mounted in the share");
        }
    }
}
