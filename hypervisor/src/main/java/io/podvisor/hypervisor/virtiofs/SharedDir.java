package io.podvisor.hypervisor.virtiofs;

import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MNT_DETACH;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_BIND;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_PRIVATE;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.MS_SHARED;
import static io.podvisor.libc.Libc.EINVAL;
import static io.podvisor.libc.Libc.ELOOP;
import static io.podvisor.libc.Libc.ENOENT;
import static io.podvisor.libc.Libc.ENOSYS;

import io.podvisor.hypervisor.VmmException;
import io.podvisor.hypervisor.virtiofs.PathBeneath.Create;
import io.podvisor.libc.ErrnoException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.util.ArrayList;
import java.util.List;

/**
 * A pod's shared directory, the tree virtiofsd serves to the guest: container root file systems
 * at {@code <containerId>/rootfs} and bind mounts of host files and directories (volumes,
 * /etc/hosts, resolv.conf) wherever the caller puts them.
 *
 * <p>The directory is a mount point of its own with shared propagation, so mounts made under it
 * after virtiofsd started still reach virtiofsd's private mount namespace. Read-only binds are
 * made read-only before they are attached, because a later remount would not reach that
 * namespace. The guest can write here: no path inside is resolved through a symbolic link.
 *
 * <p>Close (or {@link #cleanup}) only after the VM and virtiofsd have stopped: it unmounts
 * everything and deletes the directory.
 */
public final class SharedDir implements AutoCloseable {
    /** mount(2) copies at most one page of options. */
    private static final int MAX_MOUNT_DATA = 4095;
    private static final String ROOTFS = "rootfs";

    private final String podId;
    private final Path dir;

    private SharedDir(String podId, Path dir) {
        this.podId = podId;
        this.dir = dir;
    }

    /**
     * Creates {@code dir} and makes it a shared mount point. An existing directory must be empty
     * and unmounted: what an earlier run left is for {@link #cleanup} (the shim's delete).
     */
    public static SharedDir create(String podId, Path dir) throws VmmException {
        Path real;
        try {
            Files.createDirectories(dir);
            real = dir.toRealPath();
        } catch (IOException e) {
            throw new VmmException("pod " + podId + ": cannot create the shared directory " + dir + ": " + e, e);
        }
        boolean empty;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(real)) {
            empty = !entries.iterator().hasNext();
        } catch (IOException e) {
            throw new VmmException("pod " + podId + ": cannot read the shared directory " + real + ": " + e, e);
        }
        if (!empty || !readMountsAt(podId, real).isEmpty()) {
            throw new VmmException("pod " + podId + ": shared directory " + real + " is in use or was left by an"
                    + " earlier run of the pod (not empty or mounted); clean it up first (the shim's delete command does)");
        }
        try {
            MountSyscalls.mount(real.toString(), real, null, MS_BIND, null);
        } catch (ErrnoException e) {
            throw new VmmException("pod " + podId + ": cannot bind the shared directory " + real
                    + " onto itself: " + e.getMessage() + "; the shim needs root (CAP_SYS_ADMIN)", e);
        }
        try {
            // Private first: a peer group of its own, not the parent's (which on systemd hosts is /).
            MountSyscalls.mount(null, real, null, MS_PRIVATE, null);
            MountSyscalls.mount(null, real, null, MS_SHARED, null);
        } catch (ErrnoException e) {
            detachQuietly(real);
            throw new VmmException("pod " + podId + ": cannot make " + real + " a shared mount: " + e.getMessage(), e);
        }
        return new SharedDir(podId, real);
    }

    /** The directory, as a real path (what virtiofsd serves as the root of the share). */
    public Path path() {
        return dir;
    }

    /**
     * Bind-mounts {@code hostPath} (a file or a directory, with everything mounted below it) at
     * {@code relativePath} under the shared directory, creating the mount point. Read-only means
     * read-only for the whole bound tree, in every mount namespace it propagates to.
     *
     * @return the mount point on the host
     */
    public Path bind(Path hostPath, String relativePath, boolean readOnly) throws VmmException {
        Path rel = relative(relativePath);
        if (!Files.exists(hostPath)) {
            throw new VmmException("pod " + podId + ": cannot share " + hostPath + " with the VM: it does not exist");
        }
        Create kind = Files.isDirectory(hostPath) ? Create.DIRECTORY : Create.FILE;
        int target = openTarget(rel, kind, "bind " + hostPath + " at");
        try {
            MountSyscalls.bindTree(hostPath, target, readOnly);
        } catch (ErrnoException e) {
            throw failure("cannot bind " + hostPath + " at " + dir.resolve(rel) + (readOnly ? " read-only" : ""), e);
        } finally {
            MountSyscalls.close(target);
        }
        return dir.resolve(rel);
    }

    /**
     * Mounts a container's root file system from containerd's mounts, in order, at
     * {@code <containerId>/rootfs}: {@code overlay} (or any file system type) through mount(2),
     * {@code bind}/{@code rbind} as {@link #bind} does. On failure nothing stays mounted there.
     *
     * @return the rootfs directory on the host
     */
    public Path mountRootfs(String containerId, List<RootfsMount> mounts) throws VmmException {
        Path rel = relative(containerId);
        if (rel.getNameCount() != 1) {
            throw new VmmException("pod " + podId + ": container id \"" + containerId + "\" is not a plain name");
        }
        if (mounts.isEmpty()) {
            throw new VmmException("pod " + podId + ": container " + containerId + " has no rootfs mounts");
        }
        rel = rel.resolve(ROOTFS);
        Path rootfs = dir.resolve(rel);
        if (!readMountsAt(podId, rootfs).isEmpty()) {
            throw new VmmException("pod " + podId + ": the rootfs of container " + containerId + " is already mounted at " + rootfs);
        }
        int target = openTarget(rel, Create.DIRECTORY, "mount the rootfs of container " + containerId + " at");
        try {
            for (RootfsMount mount : mounts) {
                mountOne(mount, target, containerId, rootfs);
            }
        } catch (VmmException e) {
            try {
                unmount(rel.toString());
            } catch (VmmException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        } finally {
            MountSyscalls.close(target);
        }
        return rootfs;
    }

    private void mountOne(RootfsMount mount, int target, String containerId, Path rootfs) throws VmmException {
        MountOptions options = MountOptions.parse(mount.options());
        String what = "cannot mount the " + mount.type() + " rootfs of container " + containerId + " at " + rootfs;
        try {
            if (options.bind() || mount.type().equals("bind")) {
                MountSyscalls.bindTree(Path.of(mount.source()), target, options.readOnly());
                return;
            }
            if (options.data() != null && options.data().length() > MAX_MOUNT_DATA) {
                throw new VmmException("pod " + podId + ": " + what + ": its options are " + options.data().length()
                        + " bytes, more than mount(2) takes (" + MAX_MOUNT_DATA + "); the image has too many layers");
            }
            MountSyscalls.mount(mount.source(), fdPath(target), mount.type(), options.flags(), options.data());
        } catch (ErrnoException e) {
            throw failure(what + " (options " + String.join(",", mount.options()) + ")", e);
        }
    }

    /**
     * Detaches every mount at or below {@code relativePath} (lazily: a guest may still have files
     * open there). Mount points stay, as empty files and directories. Nothing mounted: no-op.
     */
    public void unmount(String relativePath) throws VmmException {
        Path rel = relative(relativePath);
        for (MountTable.Entry mount : readMountsAt(podId, dir.resolve(rel))) {
            detach(podId, dir, mount.mountPoint());
        }
    }

    /** Detaches everything at or below {@code relativePath}, then deletes it. */
    public void remove(String relativePath) throws VmmException {
        Path rel = relative(relativePath);
        unmount(relativePath);
        requireNothingMounted(podId, dir.resolve(rel));
        try {
            deleteBeneath(dir, rel);
        } catch (IOException e) {
            throw new VmmException("pod " + podId + ": cannot delete " + dir.resolve(rel) + ": " + e, e);
        }
    }

    /** Unmounts everything under the directory and the directory itself, then deletes it. */
    @Override
    public void close() throws VmmException {
        cleanup(podId, dir);
    }

    /**
     * What {@link #close} does, for a directory whose SharedDir is gone (the shim was killed):
     * detaches every mount at or below {@code dir} and deletes it. A missing directory is fine.
     */
    public static void cleanup(String podId, Path dir) throws VmmException {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            throw new VmmException("pod " + podId + ": cannot resolve the shared directory " + dir + ": " + e, e);
        }
        detachAll(podId, real);
        requireNothingMounted(podId, real);
        try {
            deleteBeneath(real, null);
        } catch (IOException e) {
            throw new VmmException("pod " + podId + ": cannot delete the shared directory " + real + ": " + e, e);
        }
    }

    private static void detachAll(String podId, Path real) throws VmmException {
        for (MountTable.Entry mount : readMountsAt(podId, real)) {
            if (mount.mountPoint().equals(real)) {
                // The directory itself: its path is the host's, outside the guest's reach.
                detachQuietly(real);
            } else {
                detach(podId, real, mount.mountPoint());
            }
        }
    }

    /** Lazily unmounts {@code mountPoint}, reached from {@code root} without following links. */
    private static void detach(String podId, Path root, Path mountPoint) throws VmmException {
        int fd;
        try {
            fd = PathBeneath.open(root, root.relativize(mountPoint), Create.NOTHING);
        } catch (ErrnoException e) {
            if (e.errno() == ENOENT) {
                return; // Gone with a mount above it.
            }
            throw new VmmException("pod " + podId + ": cannot reach mount point " + mountPoint + " to unmount it: "
                    + e.getMessage() + (e.errno() == ELOOP ? "; a symbolic link is in the way (made in the guest?); not following it" : ""), e);
        }
        try {
            MountSyscalls.umount2(fdPath(fd), MNT_DETACH);
        } catch (ErrnoException e) {
            if (e.errno() != EINVAL) { // EINVAL: no longer a mount point.
                throw new VmmException("pod " + podId + ": cannot unmount " + mountPoint + ": " + e.getMessage(), e);
            }
        } finally {
            MountSyscalls.close(fd);
        }
    }

    private static void detachQuietly(Path mountPoint) {
        try {
            MountSyscalls.umount2(mountPoint, MNT_DETACH);
        } catch (ErrnoException ignored) {
            // Not mounted any more; whatever is left is reported by requireNothingMounted.
        }
    }

    private static void requireNothingMounted(String podId, Path path) throws VmmException {
        List<MountTable.Entry> left = readMountsAt(podId, path);
        if (!left.isEmpty()) {
            throw new VmmException("pod " + podId + ": still mounted after unmounting: "
                    + left.stream().map(e -> e.mountPoint().toString()).toList() + "; not deleting " + path);
        }
    }

    private static List<MountTable.Entry> readMountsAt(String podId, Path path) throws VmmException {
        try {
            return MountTable.at(path, MountTable.read());
        } catch (IOException e) {
            throw new VmmException("pod " + podId + ": cannot read /proc/self/mountinfo: " + e, e);
        }
    }

    /**
     * Deletes {@code relative} under {@code root} (all of root when null) through directory file
     * descriptors, so a link the guest put in the tree is deleted, never followed.
     */
    private static void deleteBeneath(Path root, Path relative) throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root)) {
            if (!(stream instanceof SecureDirectoryStream<Path> secure)) {
                throw new IOException("this platform cannot delete a directory tree without following links");
            }
            if (relative == null) {
                deleteContents(secure);
            } else {
                SecureDirectoryStream<Path> parent = secure;
                List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
                try {
                    for (int i = 0; i < relative.getNameCount() - 1; i++) {
                        parent = parent.newDirectoryStream(relative.getName(i), LinkOption.NOFOLLOW_LINKS);
                        opened.add(parent);
                    }
                    deleteEntry(parent, relative.getFileName());
                } finally {
                    for (SecureDirectoryStream<Path> s : opened.reversed()) {
                        s.close();
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return;
        }
        if (relative == null) {
            Files.deleteIfExists(root);
        }
    }

    private static void deleteContents(SecureDirectoryStream<Path> dir) throws IOException {
        List<Path> names = new ArrayList<>();
        for (Path entry : dir) {
            names.add(entry.getFileName());
        }
        for (Path name : names) {
            deleteEntry(dir, name);
        }
    }

    private static void deleteEntry(SecureDirectoryStream<Path> parent, Path name) throws IOException {
        boolean directory = parent.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .readAttributes().isDirectory();
        if (directory) {
            try (SecureDirectoryStream<Path> child = parent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                deleteContents(child);
            }
            parent.deleteDirectory(name);
        } else {
            parent.deleteFile(name);
        }
    }

    /** Opens {@code rel} under the directory for mounting on, creating it as {@code kind}. */
    private int openTarget(Path rel, Create kind, String what) throws VmmException {
        try {
            return PathBeneath.open(dir, rel, kind);
        } catch (ErrnoException e) {
            throw failure("cannot " + what + " " + dir.resolve(rel), e);
        }
    }

    private VmmException failure(String what, ErrnoException e) {
        String hint = switch (e.errno()) {
            case ENOSYS -> "; this needs Linux 5.12 or later (open_tree, mount_setattr, openat2)";
            case ELOOP -> e.call().equals("openat2") ? "; a symbolic link is in the way (made in the guest?); not following it" : "";
            default -> "";
        };
        return new VmmException("pod " + podId + ": " + what + ": " + e.getMessage() + hint, e);
    }

    private Path relative(String relativePath) throws VmmException {
        Path rel;
        try {
            rel = Path.of(relativePath).normalize();
        } catch (InvalidPathException e) {
            throw new VmmException("pod " + podId + ": invalid path \"" + relativePath + "\" in the shared directory", e);
        }
        if (relativePath.isEmpty() || rel.isAbsolute() || rel.toString().isEmpty() || rel.startsWith("..")
                || !rel.toString().equals(relativePath.replaceAll("/+$", ""))) {
            throw new VmmException("pod " + podId + ": \"" + relativePath
                    + "\" is not a plain relative path inside the shared directory (no '..', '.', '//' or leading '/')");
        }
        return rel;
    }

    /** mount(2) and umount2(2) follow this magic link to exactly the file the fd refers to. */
    private static Path fdPath(int fd) {
        return Path.of("/proc/self/fd/" + fd);
    }
}
