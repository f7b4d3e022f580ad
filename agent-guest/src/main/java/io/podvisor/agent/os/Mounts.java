package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

import io.podvisor.libc.ErrnoException;
import io.podvisor.libc.NativeMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** mount(2) with mount(8)-style options: flags such as {@code ro} or {@code nosuid} become MS_* bits, the rest data. */
public final class Mounts {

    private static final long MS_RDONLY = 1;
    private static final long MS_REC = 16384;
    private static final long MS_BIND = 4096;
    private static final long PROPAGATION = (1L << 17) | (1L << 18) | (1L << 19) | (1L << 20);

    /** Option name → {flags to set, flags to clear}. */
    private static final Map<String, long[]> FLAGS = Map.ofEntries(
            Map.entry("defaults", new long[] {0, 0}),
            Map.entry("ro", new long[] {MS_RDONLY, 0}),
            Map.entry("rw", new long[] {0, MS_RDONLY}),
            Map.entry("nosuid", new long[] {2, 0}),
            Map.entry("suid", new long[] {0, 2}),
            Map.entry("nodev", new long[] {4, 0}),
            Map.entry("dev", new long[] {0, 4}),
            Map.entry("noexec", new long[] {8, 0}),
            Map.entry("exec", new long[] {0, 8}),
            Map.entry("sync", new long[] {16, 0}),
            Map.entry("async", new long[] {0, 16}),
            Map.entry("dirsync", new long[] {128, 0}),
            Map.entry("noatime", new long[] {1024, 0}),
            Map.entry("atime", new long[] {0, 1024}),
            Map.entry("nodiratime", new long[] {2048, 0}),
            Map.entry("diratime", new long[] {0, 2048}),
            Map.entry("relatime", new long[] {1L << 21, 0}),
            Map.entry("norelatime", new long[] {0, 1L << 21}),
            Map.entry("strictatime", new long[] {1L << 24, 0}),
            Map.entry("bind", new long[] {MS_BIND, 0}),
            Map.entry("rbind", new long[] {MS_BIND | MS_REC, 0}),
            Map.entry("unbindable", new long[] {1L << 17, 0}),
            Map.entry("runbindable", new long[] {(1L << 17) | MS_REC, 0}),
            Map.entry("private", new long[] {1L << 18, 0}),
            Map.entry("rprivate", new long[] {(1L << 18) | MS_REC, 0}),
            Map.entry("slave", new long[] {1L << 19, 0}),
            Map.entry("rslave", new long[] {(1L << 19) | MS_REC, 0}),
            Map.entry("shared", new long[] {1L << 20, 0}),
            Map.entry("rshared", new long[] {(1L << 20) | MS_REC, 0}));

    private Mounts() {}

    /** Options split into mount flags and the filesystem-specific data string. */
    public record Options(long flags, String data) {
        public long propagation() {
            return flags & (PROPAGATION | MS_REC);
        }

        public boolean hasPropagation() {
            return (flags & PROPAGATION) != 0;
        }
    }

    public static Options parse(List<String> options) {
        long flags = 0;
        List<String> data = new ArrayList<>();
        for (String option : options) {
            long[] bits = FLAGS.get(option);
            if (bits == null) {
                data.add(option);
            } else {
                flags = (flags | bits[0]) & ~bits[1];
            }
        }
        return new Options(flags, String.join(",", data));
    }

    /** Creates {@code target} (and its parents) and mounts {@code source} of type {@code fstype} on it. */
    public static void mount(String source, Path target, String fstype, List<String> options) throws IOException {
        Files.createDirectories(target);
        Options parsed = parse(options);
        long mountFlags = parsed.hasPropagation() ? parsed.flags() & ~(PROPAGATION) : parsed.flags();
        if (parsed.hasPropagation() && (mountFlags & MS_BIND) == 0) {
            mountFlags &= ~MS_REC;
        }
        call(source, target, fstype, mountFlags, parsed.data());
        if (parsed.hasPropagation()) {
            call(null, target, null, parsed.propagation(), "");
        }
    }

    private static void call(String source, Path target, String fstype, long flags, String data) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            ErrnoException.check(LIBC.mount(string(arena, source), NativeMemory.cString(arena, target.toString()),
                    string(arena, fstype), flags, string(arena, data)), "mount " + (source == null ? "" : source + " ")
                    + "on " + target + (fstype == null ? "" : " (" + fstype + ")"));
        }
    }

    /** The address of {@code value} as a C string, 0 (NULL) for none. */
    private static long string(Arena arena, String value) {
        return value == null || value.isEmpty() ? 0 : NativeMemory.cString(arena, value);
    }
}
