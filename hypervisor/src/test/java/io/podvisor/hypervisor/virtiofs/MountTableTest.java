package io.podvisor.hypervisor.virtiofs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountTableTest {
    private static final List<String> MOUNTINFO = List.of(
            "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
            "80 26 254:0 /run/p/shared /run/p/shared rw,relatime shared:40 - ext4 /dev/vda rw",
            "81 80 0:50 / /run/p/shared/c1/rootfs rw,relatime shared:41 - overlay overlay rw,lowerdir=/l",
            "82 80 254:0 /vol /run/p/shared/c1/my\\040volume ro,relatime shared:42 - ext4 /dev/vda rw",
            "83 81 0:51 / /run/p/shared/c1/rootfs/proc rw - proc proc rw",
            "84 81 0:52 / /run/p/shared/c1/rootfs rw - tmpfs tmpfs rw",
            "85 26 0:53 / /run/p/shared-other rw - tmpfs tmpfs rw");

    @Test
    void parsesMountPointsWithEscapedSpacesTypesAndOptions() {
        List<MountTable.Entry> entries = MountTable.parse(MOUNTINFO);
        assertEquals(7, entries.size());
        MountTable.Entry volume = entries.get(3);
        assertEquals(82, volume.id());
        assertEquals(Path.of("/run/p/shared/c1/my volume"), volume.mountPoint());
        assertEquals("ext4", volume.fsType());
        assertTrue(volume.readOnly());
        assertEquals("overlay", entries.get(2).fsType());
    }

    @Test
    void mountsAtADirectoryComeDeepestAndNewestFirstAndExcludeSiblingsWithTheSamePrefix() {
        List<Integer> ids = MountTable.at(Path.of("/run/p/shared"), MountTable.parse(MOUNTINFO)).stream()
                .map(MountTable.Entry::id).toList();
        assertEquals(List.of(83, 84, 82, 81, 80), ids);
    }

    @Test
    void unescapesOctalEscapesOnly() {
        assertEquals("a b\tc\\d", MountTable.unescape("a\\040b\\011c\\134d"));
        assertEquals("a\\9b", MountTable.unescape("a\\9b"));
        assertEquals("end\\04", MountTable.unescape("end\\04"));
    }
}
