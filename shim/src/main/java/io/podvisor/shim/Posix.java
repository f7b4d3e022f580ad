package io.podvisor.shim;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** The process-level calls a detached shim needs (new session, stdio redirection), through FFM. */
final class Posix {
    static final int O_WRONLY = 0x1;
    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SETSID = find("setsid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle OPEN = find("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle DUP2 = find("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CLOSE = find("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private Posix() {
    }

    private static MethodHandle find(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, options);
    }

    /** Makes this process the leader of a new session, without a controlling terminal. */
    static void setsid() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int result = (int) SETSID.invokeExact(errno);
            check(result, errno, "setsid");
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("setsid failed", t);
        }
    }

    /** open(2); throws naming the path and errno. */
    static int open(String path, int flags) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int fd = (int) OPEN.invokeExact(errno, arena.allocateFrom(path), flags, 0);
            return check(fd, errno, "open " + path);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("open " + path + " failed", t);
        }
    }

    /** Points {@code target} (0, 1 or 2) at what {@code fd} is, then closes {@code fd}. */
    static void moveFd(int fd, int target) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            check((int) DUP2.invokeExact(errno, fd, target), errno, "dup2");
            if (fd != target) {
                int ignored = (int) CLOSE.invokeExact(errno, fd);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("dup2 failed", t);
        }
    }

    private static int check(int result, MemorySegment errno, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed: errno " + (int) ERRNO.get(errno, 0L));
        }
        return result;
    }
}
