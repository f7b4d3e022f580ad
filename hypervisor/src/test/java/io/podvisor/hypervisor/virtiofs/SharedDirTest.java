package io.podvisor.hypervisor.virtiofs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real mounts (the tests run as root): overlays, binds, read-only binds and the cleanup. */
@Timeout(60)
class SharedDirTest {
    @TempDir
    Path tmp;

    private Path sharedPath;
    private SharedDir shared;

    @BeforeEach
    void createSharedDir() throws Exception {
        sharedPath = tmp.resolve("run/shared");
        shared = SharedDir.create("pod-t", sharedPath);
    }

    @AfterEach
    void cleanUpEvenAfterAFailure() throws Exception {
        SharedDir.cleanup("pod-t", sharedPath);
        assertEquals(List.of(), mountsUnder(tmp));
    }

    @Test
    void sharedDirIsASharedMountPointOfItsOwn() throws Exception {
        MountTable.Entry self = MountTable.at(sharedPath.toRealPath(), MountTable.read()).getFirst();
        assertEquals(sharedPath.toRealPath(), self.mountPoint());
        String line = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.startsWith(self.id() + " ")).findFirst().orElseThrow();
        assertTrue(line.contains(" shared:"), line);
    }

    @Test
    void overlayFromTwoLowerDirsMergesThemAndWritesGoToTheUpperDir() throws Exception {
        Path top = Files.createDirectories(tmp.resolve("layers/top"));
        Path bottom = Files.createDirectories(tmp.resolve("layers/bottom"));
        Files.writeString(top.resolve("both"), "from top");
        Files.writeString(bottom.resolve("both"), "from bottom");
        Files.writeString(bottom.resolve("only-bottom"), "bottom");
        Path upper = Files.createDirectories(tmp.resolve("snap/fs"));
        Path work = Files.createDirectories(tmp.resolve("snap/work"));

        Path rootfs = shared.mountRootfs("c1", List.of(new RootfsMount("overlay", "overlay", List.of(
                "index=off", "lowerdir=" + top + ":" + bottom, "upperdir=" + upper, "workdir=" + work))));

        assertEquals(sharedPath.toRealPath().resolve("c1/rootfs"), rootfs);
        assertEquals("from top", Files.readString(rootfs.resolve("both")));
        assertEquals("bottom", Files.readString(rootfs.resolve("only-bottom")));
        Files.writeString(rootfs.resolve("new"), "written in the container");
        assertEquals("written in the container", Files.readString(upper.resolve("new")));
        assertFalse(Files.exists(top.resolve("new")));
        assertEquals("overlay", MountTable.at(rootfs, MountTable.read()).getFirst().fsType());
    }

    @Test
    void readOnlyOverlayAndReadOnlyBindRootfsRefuseWrites() throws Exception {
        Path lower1 = Files.createDirectories(tmp.resolve("lower1"));
        Path lower2 = Files.createDirectories(tmp.resolve("lower2"));
        Path ro = shared.mountRootfs("view", List.of(new RootfsMount("overlay", "overlay",
                List.of("ro", "lowerdir=" + lower1 + ":" + lower2))));
        assertEquals("Read-only file system", writeError(ro.resolve("f")));

        Path snapshot = Files.createDirectories(tmp.resolve("native-snapshot"));
        Path bound = shared.mountRootfs("native", List.of(new RootfsMount("bind", snapshot.toString(), List.of("rbind", "ro"))));
        assertEquals("Read-only file system", writeError(bound.resolve("f")));
    }

    @Test
    void readOnlyFileBindFailsWritesWithErofsAndLeavesTheHostFileAlone() throws Exception {
        Path hosts = Files.writeString(tmp.resolve("etc-hosts"), "127.0.0.1 localhost\n");

        Path target = shared.bind(hosts, "c1/mounts/etc-hosts", true);

        assertEquals("127.0.0.1 localhost\n", Files.readString(target));
        assertEquals("Read-only file system", writeError(target));
        assertTrue(MountTable.at(target, MountTable.read()).getFirst().readOnly());
        assertEquals("127.0.0.1 localhost\n", Files.readString(hosts));
    }

    @Test
    void readWriteDirectoryBindWritesThroughToTheHost() throws Exception {
        Path volume = Files.createDirectories(tmp.resolve("volume"));

        Path target = shared.bind(volume, "c1/volumes/data", false);

        Files.writeString(target.resolve("f"), "data");
        assertEquals("data", Files.readString(volume.resolve("f")));
    }

    @Test
    void readOnlyDirectoryBindIsReadOnlyInMountsBelowItToo() throws Exception {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Path inner = Files.createDirectories(volume.resolve("inner"));
        MountSyscalls.mount("tmpfs", inner, "tmpfs", 0, "size=64k");
        try {
            Path target = shared.bind(volume, "vol", true);
            assertEquals("Read-only file system", writeError(target.resolve("f")));
            assertEquals("Read-only file system", writeError(target.resolve("inner/f")));
        } finally {
            MountSyscalls.umount2(inner, MountSyscalls.MNT_DETACH);
        }
    }

    @Test
    void closeUnmountsEverythingDeletesTheDirectoryAndKeepsHostData() throws Exception {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Files.writeString(volume.resolve("keep"), "host data");
        Path lower = Files.createDirectories(tmp.resolve("lower"));
        Files.writeString(lower.resolve("keep"), "layer data");
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        Path work = Files.createDirectories(tmp.resolve("work"));
        shared.bind(volume, "c1/vol", false);
        shared.bind(volume.resolve("keep"), "c1/file", true);
        shared.mountRootfs("c1", List.of(new RootfsMount("overlay", "overlay",
                List.of("lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work))));

        shared.close();

        assertEquals(List.of(), mountsUnder(tmp));
        assertFalse(Files.exists(sharedPath));
        assertEquals("host data", Files.readString(volume.resolve("keep")));
        assertEquals("layer data", Files.readString(lower.resolve("keep")));
    }

    @Test
    void cleanupWithoutTheObjectRemovesWhatAKilledShimLeft() throws Exception {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Files.createDirectories(volume.resolve("c"));
        shared.bind(volume, "a/b", true);
        shared.bind(volume, "a/b/c", false); // nested in the read-only bind

        SharedDir.cleanup("pod-t", sharedPath);

        assertEquals(List.of(), mountsUnder(tmp));
        assertFalse(Files.exists(sharedPath));
        SharedDir.cleanup("pod-t", sharedPath); // nothing left: no error
    }

    @Test
    void createRefusesADirectoryAnEarlierRunLeft() throws Exception {
        VmmException mounted = assertThrows(VmmException.class, () -> SharedDir.create("pod-t", sharedPath));
        assertTrue(mounted.getMessage().contains("left by an earlier run"), mounted.getMessage());

        SharedDir.cleanup("pod-t", sharedPath);
        Files.createDirectories(sharedPath.resolve("stale"));
        VmmException notEmpty = assertThrows(VmmException.class, () -> SharedDir.create("pod-t", sharedPath));
        assertTrue(notEmpty.getMessage().contains("not empty"), notEmpty.getMessage());

        SharedDir.cleanup("pod-t", sharedPath);
        SharedDir.create("pod-t", sharedPath);
        assertEquals(1, MountTable.at(sharedPath.toRealPath(), MountTable.read()).size());
    }

    @Test
    void unmountAndRemoveOfOneContainerLeaveTheOthers() throws Exception {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        shared.bind(volume, "c1/vol", false);
        Path kept = shared.bind(volume, "c2/vol", false);

        shared.remove("c1");

        assertFalse(Files.exists(sharedPath.resolve("c1")));
        assertEquals(List.of(kept), MountTable.at(sharedPath.resolve("c2"), MountTable.read()).stream()
                .map(MountTable.Entry::mountPoint).toList());
    }

    @Test
    void aSymbolicLinkInTheSharedTreeIsNeverFollowed() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Files.createSymbolicLink(sharedPath.resolve("c1"), outside);

        VmmException e = assertThrows(VmmException.class, () -> shared.bind(volume, "c1/vol", false));

        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertEquals(List.of(), mountsUnder(outside));
        try (var entries = Files.list(outside)) {
            assertEquals(List.of(), entries.toList());
        }
        shared.close();
        assertTrue(Files.isDirectory(outside), "deleting the shared dir deletes the link, not its target");
    }

    @Test
    void badInputIsRefusedWithTheReason() throws Exception {
        VmmException missing = assertThrows(VmmException.class,
                () -> shared.bind(tmp.resolve("no-such-volume"), "v", false));
        assertEquals("pod pod-t: cannot share " + tmp.resolve("no-such-volume") + " with the VM: it does not exist",
                missing.getMessage());
        for (String bad : List.of("../escape", "/abs", "a/../../b", "a/./b", "")) {
            VmmException e = assertThrows(VmmException.class, () -> shared.bind(tmp, bad, false), bad);
            assertTrue(e.getMessage().contains("not a plain relative path"), e.getMessage());
        }
        VmmException slash = assertThrows(VmmException.class, () -> shared.mountRootfs("a/b",
                List.of(new RootfsMount("bind", tmp.toString(), List.of("rbind")))));
        assertTrue(slash.getMessage().contains("not a plain name"), slash.getMessage());
    }

    @Test
    void aRootfsThatFailsToMountLeavesNothingMounted() throws Exception {
        Path lower = Files.createDirectories(tmp.resolve("lower"));
        VmmException e = assertThrows(VmmException.class, () -> shared.mountRootfs("c1", List.of(
                new RootfsMount("bind", lower.toString(), List.of("rbind")),
                new RootfsMount("overlay", "overlay", List.of("lowerdir=" + tmp.resolve("missing-layer"))))));

        assertTrue(e.getMessage().startsWith("pod pod-t: cannot mount the overlay rootfs of container c1 at "),
                e.getMessage());
        assertEquals(List.of(), MountTable.at(sharedPath.resolve("c1"), MountTable.read()));
    }

    @Test
    void overlayOptionsLongerThanAPageAreRefusedClearly() throws Exception {
        String layers = String.join(":", java.util.Collections.nCopies(300, tmp.resolve("layer").toString()));
        VmmException e = assertThrows(VmmException.class, () -> shared.mountRootfs("c1",
                List.of(new RootfsMount("overlay", "overlay", List.of("lowerdir=" + layers)))));
        assertTrue(e.getMessage().contains("too many layers"), e.getMessage());
    }

    /** The message of the error writing {@code file} gives, e.g. "Read-only file system". */
    private static String writeError(Path file) {
        FileSystemException e = assertThrows(FileSystemException.class, () -> Files.writeString(file, "x"));
        return e.getReason();
    }

    private static List<Path> mountsUnder(Path dir) throws IOException {
        return MountTable.at(dir.toRealPath(), MountTable.read()).stream().map(MountTable.Entry::mountPoint).toList();
    }
}
