package io.podvisor.hypervisor.qemu;

import io.podvisor.hypervisor.VmmException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A user id of one VM's own, from a range no account uses, claimed by a file named after it while the VM runs.
 * The claim records the process that holds it, so claims left by killed processes are removed at the next claim.
 */
final class VmmUid implements AutoCloseable {
    static final int FIRST = 0x70000000;
    static final int COUNT = 1 << 16;

    private final int uid;
    private final Path claim;

    private VmmUid(int uid, Path claim) {
        this.uid = uid;
        this.claim = claim;
    }

    static VmmUid claim(Path claims, String vmName) throws VmmException {
        try {
            Files.createDirectories(claims);
            try (Stream<Path> existing = Files.list(claims)) {
                for (Path claim : existing.toList()) {
                    takeBackIfStale(claim);
                }
            }
            int start = ThreadLocalRandom.current().nextInt(COUNT);
            for (int i = 0; i < COUNT; i++) {
                int uid = FIRST + (start + i) % COUNT;
                Path claim = claims.resolve(Integer.toString(uid));
                if (takeBackIfStale(claim)) {
                    try {
                        Files.writeString(claim, ProcessHandle.current().pid() + "\n", StandardOpenOption.CREATE_NEW,
                                StandardOpenOption.WRITE);
                        return new VmmUid(uid, claim);
                    } catch (FileAlreadyExistsException taken) {
                        // another VM claimed it in the meantime
                    }
                }
            }
        } catch (IOException e) {
            throw new VmmException("VM " + vmName + ": cannot claim a user id for QEMU under " + claims + ": " + e.getMessage(), e);
        }
        throw new VmmException("VM " + vmName + ": all " + COUNT + " user ids for QEMU are claimed under " + claims);
    }

    /** True when {@code claim} is free: absent, or left by a process that no longer runs (then removed). */
    private static boolean takeBackIfStale(Path claim) throws IOException {
        if (!Files.exists(claim)) {
            return true;
        }
        try {
            long owner = Long.parseLong(Files.readString(claim).strip());
            if (ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
                return false;
            }
        } catch (NumberFormatException | IOException unreadable) {
            return false;
        }
        Files.deleteIfExists(claim);
        return true;
    }

    int uid() {
        return uid;
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(claim);
        } catch (IOException e) {
            System.getLogger(VmmUid.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot release user id claim {0}: {1}", claim, e.getMessage());
        }
    }
}
