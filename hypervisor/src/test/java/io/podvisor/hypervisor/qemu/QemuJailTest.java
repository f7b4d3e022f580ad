package io.podvisor.hypervisor.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuJailTest {
    @TempDir
    Path dir;

    @Test
    void eachVmGetsAUserIdOfItsOwnInTheRangeAndAnEmptyReadOnlyRoot() throws Exception {
        QemuJail jail = new QemuJail(dir);
        try (VmmUid first = jail.claim("vm-a"); VmmUid second = jail.claim("vm-b")) {
            assertNotEquals(first.uid(), second.uid());
            for (VmmUid uid : List.of(first, second)) {
                assertTrue(uid.uid() >= VmmUid.FIRST && uid.uid() < VmmUid.FIRST + VmmUid.COUNT, "uid " + uid.uid());
                assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(dir.resolve("uids/" + uid.uid())));
            }
            assertEquals(List.of("-runas", first.uid() + ":" + first.uid(), "-chroot", dir.resolve("root").toString()),
                    jail.arguments(first));
            assertEquals("r-xr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("root"))));
            try (var entries = Files.list(dir.resolve("root"))) {
                assertEquals(0, entries.count());
            }
        }
        try (var claims = Files.list(dir.resolve("uids"))) {
            assertEquals(0, claims.count(), "released with their VMs");
        }
    }

    @Test
    void aClaimLeftByADeadProcessIsTakenBackAndALiveOnesIsNot() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path claims = Files.createDirectories(dir.resolve("uids"));
        for (int i = 0; i < VmmUid.COUNT; i++) {
            long owner = i == 7 ? gone.pid() : ProcessHandle.current().pid();
            Files.writeString(claims.resolve(Integer.toString(VmmUid.FIRST + i)), owner + "\n");
        }
        try (VmmUid uid = VmmUid.claim(claims, "vm-c")) {
            assertEquals(VmmUid.FIRST + 7, uid.uid());
        }
        assertFalse(Files.exists(claims.resolve(Integer.toString(VmmUid.FIRST + 7))));
        try (var left = Files.list(claims)) {
            assertEquals(VmmUid.COUNT - 1, left.count(), "the live claims stay");
        }
    }
}
