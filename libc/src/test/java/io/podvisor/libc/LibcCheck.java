package io.podvisor.libc;

import static io.podvisor.libc.Libc.LIBC;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Makes every kind of call {@link Libc} has, on whichever implementation runs here: {@code LibcCheckTest} runs
 * it on the JVM (FFM); built into a native image as its main class, it checks the {@code @CFunction} one:
 *
 * <pre>
 *   rootfs-builder/native-image.sh --cp libc/target/classes:libc/target/test-classes \
 *       --main io.podvisor.libc.LibcCheck --out /tmp/libc-check/libc-check
 * </pre>
 *
 * Prints one line per check; exits 1 if any failed. setns and mount need root and are skipped without it;
 * setsid, sync and reboot, which would change the process or the machine running the check, are not called.
 */
public final class LibcCheck {
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    private static final List<String> ENV = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin");

    private static final int EBADF = 9;
    private static final int ECHILD = 10;
    private static final int EXDEV = 18;
    private static final int ENODEV = 19;
    private static final int SIGKILL = 9;
    private static final short POLLIN = 0x1;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int F_GETFD = 1;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int O_DIRECTORY = 0x10000;
    private static final int O_PATH = 0x200000;
    private static final int AF_UNIX = 1;
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final long TIOCGWINSZ = 0x5413;
    private static final long TIOCSWINSZ = 0x5414;
    private static final long NS_GET_NSTYPE = 0xb703;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_OPENAT2 = 437;

    /** One check: returns what it saw, throws when that is wrong. */
    private interface Check {
        String run(Path dir) throws Exception;
    }

    private record Named(String name, Check check) {}

    private LibcCheck() {}

    public static void main(String[] args) throws IOException {
        System.out.println("implementation: " + LIBC.getClass().getSimpleName());
        List<String> failures = run();
        System.out.println(failures.isEmpty() ? "all checks passed" : failures.size() + " checks failed: " + failures);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** Runs the checks, printing each; returns the names of those that failed. */
    static List<String> run() throws IOException {
        List<Named> checks = List.of(
                new Named("pipe2, write, read, close", LibcCheck::pipeCarriesBytes),
                new Named("errno EBADF and strerror in ErrnoException; open ENOENT", LibcCheck::failuresCarryErrno),
                new Named("eventfd, poll timeout and readiness, EAGAIN", LibcCheck::eventfdWakesAPoll),
                new Named("fcntl F_DUPFD_CLOEXEC, dup2", LibcCheck::descriptorsCopy),
                new Named("memfd_create, ftruncate, mmap shared twice, munmap", LibcCheck::sharedMemoryIsShared),
                new Named("ioctl NS_GET_NSTYPE", LibcCheck::namespaceTypeIsNet),
                new Named("posix_spawn with file actions and attributes, waitpid", LibcCheck::shellTalksThroughPipes),
                new Named("posix_spawn error number", LibcCheck::spawnOfAMissingProgramFails),
                new Named("kill, waitpid ECHILD", LibcCheck::killEndsAChild),
                new Named("pidfd_open through syscall, poll", LibcCheck::pidfdBecomesReadableAtExit),
                new Named("pty: posix_openpt, grantpt, unlockpt, ptsname_r, ioctl", LibcCheck::ptyCarriesSizeAndText),
                new Named("inotify", LibcCheck::inotifySeesANewFile),
                new Named("unix socket: bind, listen, getsockopt, accept4, recvmsg", LibcCheck::unixSocketReceives),
                new Named("getsockopt SO_ORIGINAL_DST of a plain socket fails", LibcCheck::originalDestinationFails),
                new Named("setns into this network namespace", LibcCheck::setnsEntersANamespace),
                new Named("mount tmpfs, mkdirat, openat2 beneath it, umount2", LibcCheck::mountsATmpfs));
        List<String> failures = new ArrayList<>();
        Path dir = Files.createTempDirectory("libc-check");
        try {
            for (int i = 0; i < checks.size(); i++) {
                Named named = checks.get(i);
                Path scratch = Files.createDirectory(dir.resolve(Integer.toString(i)));
                try {
                    System.out.println("ok    " + named.name() + ": " + named.check().run(scratch));
                } catch (Exception | Error e) { // an image reports a missing JDK native as an Error
                    failures.add(named.name());
                    System.out.println("FAIL  " + named.name() + ": " + e);
                }
            }
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        return failures;
    }

    private static String pipeCarriesBytes(Path dir) throws Exception {
        int[] pipe = pipe();
        writeAll(pipe[1], "hello through a pipe");
        ErrnoException.check(LIBC.close(pipe[1]), "close");
        String text = readAll(pipe[0]);
        ErrnoException.check(LIBC.close(pipe[0]), "close");
        return expect("hello through a pipe", text);
    }

    private static String failuresCarryErrno(Path dir) {
        expect("No such file or directory", LIBC.strerror(Libc.ENOENT));
        try (Arena arena = Arena.ofConfined()) {
            expect(-Libc.ENOENT, LIBC.open(NativeMemory.cString(arena, dir.resolve("missing").toString()), Libc.O_RDONLY, 0));
            expect((long) -EBADF, LIBC.read(-1, arena.allocate(8).address(), 8));
        }
        try {
            ErrnoException.check(LIBC.close(-1), "close -1");
            throw new AssertionError("close(-1) succeeded");
        } catch (ErrnoException e) {
            expect(EBADF, e.errno());
            expect("close -1", e.call());
            return expect("close -1: Bad file descriptor (errno 9)", e.getMessage());
        }
    }

    private static String eventfdWakesAPoll(Path dir) throws Exception {
        int fd = ErrnoException.check(LIBC.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd");
        try {
            long start = System.nanoTime();
            expect(false, readable(fd, 200));
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            expect(true, waitedMillis >= 190);
            signal(fd);
            signal(fd);
            expect(true, readable(fd, 1000));
            expect(2L, drain(fd));
            expect((long) -Libc.EAGAIN, drain(fd));
            return "an empty one timed out after " + waitedMillis + " ms; signalled twice, it counted 2, then EAGAIN";
        } finally {
            LIBC.close(fd);
        }
    }

    private static String descriptorsCopy(Path dir) throws Exception {
        int fd = ErrnoException.check(LIBC.eventfd(0, EFD_NONBLOCK), "eventfd");
        int copy = ErrnoException.check(LIBC.fcntl(fd, F_DUPFD_CLOEXEC, 0), "fcntl(F_DUPFD_CLOEXEC)");
        int other = ErrnoException.check(LIBC.eventfd(0, EFD_NONBLOCK), "eventfd");
        try {
            expect(1, ErrnoException.check(LIBC.fcntl(copy, F_GETFD, 0), "fcntl(F_GETFD)"));
            expect(other, ErrnoException.check(LIBC.dup2(fd, other), "dup2"));
            signal(copy);
            expect(1L, drain(other));
            return "fd " + fd + " = " + copy + " (close-on-exec) = " + other;
        } finally {
            LIBC.close(fd);
            LIBC.close(copy);
            LIBC.close(other);
        }
    }

    private static String sharedMemoryIsShared(Path dir) throws Exception {
        long size = 1 << 16;
        int memfd;
        try (Arena arena = Arena.ofConfined()) {
            memfd = ErrnoException.check(LIBC.memfdCreate(NativeMemory.cString(arena, "libc-check"), 1), "memfd_create");
        }
        try {
            ErrnoException.check(LIBC.ftruncate(memfd, size), "ftruncate");
            long first = map(memfd, size);
            long second = map(memfd, size);
            try {
                NativeMemory.view(MemorySegment.ofAddress(first).reinterpret(size)).putLong(4096, 0x1122334455667788L);
                expect(0x1122334455667788L,
                        NativeMemory.view(MemorySegment.ofAddress(second).reinterpret(size)).getLong(4096));
            } finally {
                ErrnoException.check(LIBC.munmap(first, size), "munmap");
                ErrnoException.check(LIBC.munmap(second, size), "munmap");
            }
            expect((long) -Libc.EINVAL, LIBC.mmap(0, 0, 0x3, 0x1, memfd, 0));
            return "two mappings agree; an empty mapping is EINVAL";
        } finally {
            LIBC.close(memfd);
        }
    }

    private static String namespaceTypeIsNet(Path dir) throws Exception {
        int fd = openNetNamespace();
        try {
            expect(CLONE_NEWNET, ErrnoException.check(LIBC.ioctl(fd, NS_GET_NSTYPE, 0), "ioctl(NS_GET_NSTYPE)"));
            return "CLONE_NEWNET";
        } finally {
            LIBC.close(fd);
        }
    }

    /** The child gets a pipe as stdin and stdout, /dev/null as stderr, a directory, a session and signals. */
    private static String shellTalksThroughPipes(Path dir) throws Exception {
        String script = "read line; echo \"got $line in $PWD\"; echo \"session $(cut -d' ' -f6 /proc/self/stat)\"; exit 7";
        int[] in = pipe();
        int[] out = pipe();
        try (Arena arena = Arena.ofConfined()) {
            long actions = arena.allocate(256, 16).address();
            long attr = arena.allocate(512, 16).address();
            long all = arena.allocate(128, 8).address();
            long none = arena.allocate(128, 8).address();
            zero("posix_spawn_file_actions_init", LIBC.posixSpawnFileActionsInit(actions));
            zero("posix_spawnattr_init", LIBC.posixSpawnattrInit(attr));
            int pid;
            try {
                zero("adddup2", LIBC.posixSpawnFileActionsAddDup2(actions, in[0], 0));
                zero("adddup2", LIBC.posixSpawnFileActionsAddDup2(actions, out[1], 1));
                zero("addopen", LIBC.posixSpawnFileActionsAddOpen(actions, 2, NativeMemory.cString(arena, "/dev/null"),
                        Libc.O_WRONLY, 0));
                zero("addchdir_np", LIBC.posixSpawnFileActionsAddChdir(actions, NativeMemory.cString(arena, dir.toString())));
                zero("addclosefrom_np", LIBC.posixSpawnFileActionsAddClosefrom(actions, 3));
                zero("sigfillset", LIBC.sigfillset(all));
                zero("sigemptyset", LIBC.sigemptyset(none));
                zero("posix_spawnattr_setsigdefault", LIBC.posixSpawnattrSetsigdefault(attr, all));
                zero("posix_spawnattr_setsigmask", LIBC.posixSpawnattrSetsigmask(attr, none));
                // POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID
                zero("posix_spawnattr_setflags", LIBC.posixSpawnattrSetflags(attr, (short) (0x04 | 0x08 | 0x80)));
                pid = spawn(arena, List.of("/bin/sh", "-c", script), actions, attr);
            } finally {
                LIBC.posixSpawnattrDestroy(attr);
                LIBC.posixSpawnFileActionsDestroy(actions);
                LIBC.close(in[0]);
                LIBC.close(out[1]);
            }
            writeAll(in[1], "ping\n");
            LIBC.close(in[1]);
            String output = readAll(out[0]);
            LIBC.close(out[0]);
            int status = waitFor(pid);
            expect("got ping in " + dir + "\nsession " + pid + "\n", output);
            expect(7 << 8, status);
            return "pid " + pid + " read 'ping' in its own session and directory, exited 7";
        }
    }

    private static String spawnOfAMissingProgramFails(Path dir) {
        try (Arena arena = Arena.ofConfined()) {
            spawn(arena, List.of("/no/such/program"), 0, 0);
            throw new AssertionError("spawning a missing program succeeded");
        } catch (ErrnoException e) {
            expect(Libc.ENOENT, e.errno());
            return e.getMessage();
        }
    }

    private static String killEndsAChild(Path dir) throws Exception {
        int pid;
        try (Arena arena = Arena.ofConfined()) {
            pid = spawn(arena, List.of("/bin/sleep", "30"), 0, 0);
        }
        ErrnoException.check(LIBC.kill(pid, SIGKILL), "kill");
        expect(SIGKILL, waitFor(pid) & 0x7f);
        expect(-Libc.ESRCH, LIBC.kill(pid, SIGKILL));
        expect(-ECHILD, LIBC.waitpid(1, 0, 0));
        return "SIGKILL ended sleep " + pid + "; a second kill finds it gone (ESRCH); waitpid(1) is ECHILD";
    }

    private static String pidfdBecomesReadableAtExit(Path dir) throws Exception {
        int pid;
        try (Arena arena = Arena.ofConfined()) {
            pid = spawn(arena, List.of("/bin/sleep", "0.3"), 0, 0);
        }
        int pidfd = (int) ErrnoException.check(LIBC.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0), "pidfd_open");
        try {
            expect(false, readable(pidfd, 0));
            expect(true, readable(pidfd, 10_000));
        } finally {
            LIBC.close(pidfd);
        }
        expect(0, waitFor(pid));
        return "the pidfd of sleep " + pid + " became readable once it ended";
    }

    private static String ptyCarriesSizeAndText(Path dir) throws Exception {
        int master = ErrnoException.check(LIBC.posixOpenpt(Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC), "posix_openpt");
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException.check(LIBC.grantpt(master), "grantpt");
            ErrnoException.check(LIBC.unlockpt(master), "unlockpt");
            MemorySegment name = arena.allocate(128);
            zero("ptsname_r", LIBC.ptsnameR(master, name.address(), name.byteSize()));
            String slavePath = NativeMemory.string(name);
            expect(true, slavePath.startsWith("/dev/pts/"));
            MemorySegment size = arena.allocate(8, 2);
            NativeMemory.view(size).putShort(0, (short) 30).putShort(2, (short) 100);
            ErrnoException.check(LIBC.ioctl(master, TIOCSWINSZ, size.address()), "ioctl(TIOCSWINSZ)");
            int slave = ErrnoException.check(LIBC.open(NativeMemory.cString(arena, slavePath),
                    Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC, 0), "open " + slavePath);
            try {
                MemorySegment seen = arena.allocate(8, 2);
                ErrnoException.check(LIBC.ioctl(slave, TIOCGWINSZ, seen.address()), "ioctl(TIOCGWINSZ)");
                ByteBuffer rowsAndColumns = NativeMemory.view(seen);
                expect("30x100", rowsAndColumns.getShort(0) + "x" + rowsAndColumns.getShort(2));
                writeAll(slave, "hi\n");
                expect(true, readable(master, 5000));
                expect("hi\r\n", read(master));
            } finally {
                LIBC.close(slave);
            }
            return slavePath + " sized 30x100, 'hi' written to it read from the master";
        } finally {
            LIBC.close(master);
        }
    }

    private static String inotifySeesANewFile(Path dir) throws Exception {
        int inCreate = 0x100;
        int fd = ErrnoException.check(LIBC.inotifyInit1(Libc.O_CLOEXEC), "inotify_init1");
        try (Arena arena = Arena.ofConfined()) {
            int watch = ErrnoException.check(LIBC.inotifyAddWatch(fd, NativeMemory.cString(arena, dir.toString()), inCreate),
                    "inotify_add_watch");
            Files.writeString(dir.resolve("created"), "x");
            expect(true, readable(fd, 5000));
            MemorySegment buffer = arena.allocate(4096, 8);
            ErrnoException.check(LIBC.read(fd, buffer.address(), buffer.byteSize()), "read");
            ByteBuffer event = NativeMemory.view(buffer);
            String name = NativeMemory.string(buffer.asSlice(16, event.getInt(12)));
            expect(watch + " " + inCreate + " created", event.getInt(0) + " " + event.getInt(4) + " " + name);
            ErrnoException.check(LIBC.inotifyRmWatch(fd, watch), "inotify_rm_watch");
            expect(-Libc.ENOENT, LIBC.inotifyAddWatch(fd, NativeMemory.cString(arena, dir.resolve("missing").toString()),
                    inCreate));
            return "IN_CREATE of 'created' on watch " + watch + "; a missing file is ENOENT";
        } finally {
            LIBC.close(fd);
        }
    }

    private static String unixSocketReceives(Path dir) throws Exception {
        Path path = dir.resolve("check.sock");
        int fd = ErrnoException.check(LIBC.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket(AF_UNIX)");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(110, 2);
            NativeMemory.view(address).putShort(0, (short) AF_UNIX).put(2, path.toString().getBytes(UTF_8));
            ErrnoException.check(LIBC.bind(fd, address.address(), (int) address.byteSize()), "bind " + path);
            ErrnoException.check(LIBC.listen(fd, 1), "listen");
            MemorySegment type = arena.allocate(4, 4);
            MemorySegment length = arena.allocate(4, 4);
            NativeMemory.view(length).putInt(0, 4);
            ErrnoException.check(LIBC.getsockopt(fd, SOL_SOCKET, SO_TYPE, type.address(), length.address()),
                    "getsockopt(SO_TYPE)");
            expect(SOCK_STREAM, NativeMemory.view(type).getInt(0));
            expect(false, readable(fd, 0));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                client.write(ByteBuffer.wrap("ping".getBytes(UTF_8)));
                expect(true, readable(fd, 5000));
                int connection = ErrnoException.check(LIBC.accept4(fd, 0, 0, SOCK_CLOEXEC), "accept4");
                try {
                    MemorySegment data = arena.allocate(16);
                    MemorySegment iov = arena.allocate(16, 8);
                    NativeMemory.view(iov).putLong(0, data.address()).putLong(8, data.byteSize());
                    // struct msghdr: name, namelen, iov, iovlen, control, controllen, flags
                    MemorySegment message = arena.allocate(56, 8);
                    NativeMemory.view(message).putLong(16, iov.address()).putLong(24, 1);
                    long n = ErrnoException.check(LIBC.recvmsg(connection, message.address(), 0), "recvmsg");
                    expect("ping", new String(NativeMemory.bytes(data, (int) n), UTF_8));
                } finally {
                    LIBC.close(connection);
                }
            }
            return path + " accepted a client and received 'ping'";
        } finally {
            LIBC.close(fd);
        }
    }

    private static String originalDestinationFails(Path dir) throws Exception {
        int fd = ErrnoException.check(LIBC.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket(AF_INET)");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(16, 4);
            MemorySegment length = arena.allocate(4, 4);
            NativeMemory.view(length).putInt(0, 16);
            int rc = LIBC.getsockopt(fd, 0, 80, address.address(), length.address());
            expect(true, rc < 0);
            return new ErrnoException("getsockopt(SO_ORIGINAL_DST)", -rc).getMessage();
        } finally {
            LIBC.close(fd);
        }
    }

    private static String setnsEntersANamespace(Path dir) throws Exception {
        if (!ROOT) {
            return "skipped (not root)";
        }
        int fd = openNetNamespace();
        int notANamespace = ErrnoException.check(LIBC.eventfd(0, EFD_CLOEXEC), "eventfd");
        try {
            ErrnoException.check(LIBC.setns(fd, CLONE_NEWNET), "setns");
            expect(-Libc.EINVAL, LIBC.setns(notANamespace, CLONE_NEWNET));
            return "entered its own network namespace; an eventfd is EINVAL";
        } finally {
            LIBC.close(fd);
            LIBC.close(notANamespace);
        }
    }

    private static String mountsATmpfs(Path dir) throws Exception {
        if (!ROOT) {
            return "skipped (not root)";
        }
        Path target = Files.createDirectory(dir.resolve("mnt"));
        try (Arena arena = Arena.ofConfined()) {
            long path = NativeMemory.cString(arena, target.toString());
            long tmpfs = NativeMemory.cString(arena, "tmpfs");
            expect(-ENODEV, LIBC.mount(tmpfs, path, NativeMemory.cString(arena, "no-such-fs"), 0, 0));
            ErrnoException.check(LIBC.mount(tmpfs, path, tmpfs, 0, NativeMemory.cString(arena, "size=64k")), "mount");
            try {
                int dirFd = ErrnoException.check(LIBC.open(path, O_PATH | O_DIRECTORY | Libc.O_CLOEXEC, 0), "open O_PATH");
                try {
                    ErrnoException.check(LIBC.mkdirat(dirFd, NativeMemory.cString(arena, "sub"), 0755), "mkdirat");
                    MemorySegment how = arena.allocate(24, 8);
                    // struct open_how: flags, mode, resolve (RESOLVE_BENEATH)
                    NativeMemory.view(how).putLong(0, O_PATH | O_DIRECTORY | Libc.O_CLOEXEC).putLong(8, 0).putLong(16, 0x08);
                    long sub = ErrnoException.check(LIBC.syscall(SYS_OPENAT2, dirFd, NativeMemory.cString(arena, "sub"),
                            how.address(), 24, 0), "openat2");
                    LIBC.close((int) sub);
                    expect((long) -EXDEV, LIBC.syscall(SYS_OPENAT2, dirFd, NativeMemory.cString(arena, "../.."),
                            how.address(), 24, 0));
                } finally {
                    LIBC.close(dirFd);
                }
            } finally {
                ErrnoException.check(LIBC.umount2(path, 2), "umount2");
            }
            expect(false, Files.exists(target.resolve("sub")));
            return "an unknown type is ENODEV; mounted, sub opened beneath, ../.. refused (EXDEV), unmounted";
        }
    }

    private static int[] pipe() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(8, 4);
            ErrnoException.check(LIBC.pipe2(fds.address(), Libc.O_CLOEXEC), "pipe2");
            ByteBuffer ends = NativeMemory.view(fds);
            return new int[] {ends.getInt(0), ends.getInt(4)};
        }
    }

    private static void writeAll(int fd, String text) throws ErrnoException {
        byte[] bytes = text.getBytes(UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(bytes.length);
            buffer.asByteBuffer().put(0, bytes);
            expect((long) bytes.length, ErrnoException.check(LIBC.write(fd, buffer.address(), bytes.length), "write"));
        }
    }

    /** What one read(2) of up to 1024 bytes returns. */
    private static String read(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(1024);
            long n = ErrnoException.check(LIBC.read(fd, buffer.address(), buffer.byteSize()), "read");
            return new String(NativeMemory.bytes(buffer, (int) n), UTF_8);
        }
    }

    private static String readAll(int fd) throws ErrnoException {
        StringBuilder text = new StringBuilder();
        String chunk;
        while (!(chunk = read(fd)).isEmpty()) {
            text.append(chunk);
        }
        return text.toString();
    }

    /** poll(2) for POLLIN on one descriptor: whether it became readable within {@code timeoutMillis}. */
    private static boolean readable(int fd, int timeoutMillis) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(8, 4);
            ByteBuffer entry = NativeMemory.view(pollfd);
            entry.putInt(0, fd).putShort(4, POLLIN);
            int ready = ErrnoException.check(LIBC.poll(pollfd.address(), 1, timeoutMillis), "poll");
            return ready == 1 && (entry.getShort(6) & POLLIN) != 0;
        }
    }

    /** Adds one to an eventfd's counter. */
    private static void signal(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(8, 8);
            NativeMemory.view(one).putLong(0, 1);
            ErrnoException.check(LIBC.write(fd, one.address(), 8), "write eventfd");
        }
    }

    /** Reads an eventfd's counter: the count, or -errno. */
    private static long drain(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(8, 8);
            long n = LIBC.read(fd, value.address(), 8);
            return n < 0 ? n : NativeMemory.view(value).getLong(0);
        }
    }

    private static long map(int fd, long size) throws ErrnoException {
        return ErrnoException.check(LIBC.mmap(0, size, 0x3, 0x1, fd, 0), "mmap"); // PROT_READ | PROT_WRITE, MAP_SHARED
    }

    private static int openNetNamespace() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            return ErrnoException.check(LIBC.open(NativeMemory.cString(arena, "/proc/self/ns/net"),
                    Libc.O_RDONLY | Libc.O_CLOEXEC, 0), "open /proc/self/ns/net");
        }
    }

    /** posix_spawn of {@code argv} (argv[0] its path) with these file actions and attributes (0: none); the pid. */
    private static int spawn(Arena arena, List<String> argv, long actions, long attr) throws ErrnoException {
        MemorySegment pid = arena.allocate(4, 4);
        zero("posix_spawn " + argv.getFirst(), LIBC.posixSpawn(pid.address(), NativeMemory.cString(arena, argv.getFirst()),
                actions, attr, strings(arena, argv), strings(arena, ENV)));
        return NativeMemory.view(pid).getInt(0);
    }

    /** A NULL-terminated array of C strings. */
    private static long strings(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(8L * (strings.size() + 1), 8);
        ByteBuffer pointers = NativeMemory.view(array);
        for (int i = 0; i < strings.size(); i++) {
            pointers.putLong(8 * i, NativeMemory.cString(arena, strings.get(i)));
        }
        return array.address();
    }

    /** Reaps child {@code pid}: its wait status. */
    private static int waitFor(int pid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(4, 4);
            expect(pid, ErrnoException.check(LIBC.waitpid(pid, status.address(), 0), "waitpid(" + pid + ")"));
            return NativeMemory.view(status).getInt(0);
        }
    }

    /** For the calls that return their error number (posix_spawn and its helpers, ptsname_r). */
    private static void zero(String call, int errorNumber) throws ErrnoException {
        if (errorNumber != 0) {
            throw new ErrnoException(call, errorNumber);
        }
    }

    private static <T> T expect(T expected, T actual) {
        if (!expected.equals(actual)) {
            throw new AssertionError("expected " + expected + " but got " + actual);
        }
        return actual;
    }
}
