package io.podvisor.hypervisor.virtiofs;

import static io.podvisor.hypervisor.virtiofs.MountSyscalls.O_DIRECTORY;
import static io.podvisor.hypervisor.virtiofs.MountSyscalls.O_PATH;
import static io.podvisor.libc.Libc.EEXIST;
import static io.podvisor.libc.Libc.ENOENT;
import static io.podvisor.libc.Libc.O_CLOEXEC;
import static io.podvisor.libc.Libc.O_CREAT;
import static io.podvisor.libc.Libc.O_EXCL;
import static io.podvisor.libc.Libc.O_WRONLY;

import io.podvisor.libc.ErrnoException;
import java.nio.file.Path;

/**
 * Opens a path inside the shared directory one component at a time, never following a symbolic
 * link. The guest writes to the shared directory through virtiofs and could swap a directory for
 * a link to anywhere on the host; a mount or unmount by path name would then follow it.
 */
final class PathBeneath {

    /** What to do when the path (or a directory on the way) does not exist. */
    enum Create {
        NOTHING, DIRECTORY, FILE
    }

    private PathBeneath() {
    }

    /** An O_PATH fd for {@code relative} under {@code root}; the caller closes it. */
    static int open(Path root, Path relative, Create create) throws ErrnoException {
        int current = MountSyscalls.openDirectory(root);
        try {
            for (int i = 0; i < relative.getNameCount(); i++) {
                boolean last = i == relative.getNameCount() - 1;
                Create kind = last || create == Create.NOTHING ? create : Create.DIRECTORY;
                boolean directory = !last || create == Create.DIRECTORY;
                int next = step(current, relative.getName(i).toString(), directory, kind);
                MountSyscalls.close(current);
                current = next;
            }
            return current;
        } catch (ErrnoException | RuntimeException e) {
            MountSyscalls.close(current);
            throw e;
        }
    }

    private static int step(int dirFd, String name, boolean directory, Create create) throws ErrnoException {
        int flags = O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0);
        try {
            return MountSyscalls.openBeneath(dirFd, name, flags, 0);
        } catch (ErrnoException e) {
            if (e.errno() != ENOENT || create == Create.NOTHING) {
                throw e;
            }
        }
        try {
            if (create == Create.DIRECTORY) {
                MountSyscalls.mkdirat(dirFd, name, 0755);
            } else {
                MountSyscalls.close(MountSyscalls.openBeneath(dirFd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
            }
        } catch (ErrnoException e) {
            if (e.errno() != EEXIST) {
                throw e;
            }
        }
        return MountSyscalls.openBeneath(dirFd, name, flags, 0);
    }
}
