package io.podvisor.hypervisor.virtiofs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The mounts of this process's mount namespace, read from /proc/self/mountinfo. */
final class MountTable {
    private static final Path SELF = Path.of("/proc/self/mountinfo");

    /** One line of mountinfo: the mount point, its file system type and its per-mount options. */
    record Entry(int id, Path mountPoint, String fsType, List<String> options) {
        boolean readOnly() {
            return options.contains("ro");
        }
    }

    private MountTable() {
    }

    static List<Entry> read() throws IOException {
        return parse(Files.readAllLines(SELF));
    }

    static List<Entry> parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        for (String line : lines) {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            String[] f = line.split(" ");
            int separator = List.of(f).indexOf("-");
            if (f.length < 7 || separator < 6 || separator + 1 >= f.length) {
                continue;
            }
            entries.add(new Entry(Integer.parseInt(f[0]), Path.of(unescape(f[4])), unescape(f[separator + 1]),
                    List.of(f[5].split(","))));
        }
        return entries;
    }

    /**
     * The mounts at or below {@code dir}, in the order to unmount them: deepest first and, on one
     * mount point, the most recent first.
     */
    static List<Entry> at(Path dir, List<Entry> all) {
        List<Entry> below = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).mountPoint().startsWith(dir)) {
                below.add(all.get(i));
            }
        }
        below.sort(Comparator.comparingInt((Entry e) -> e.mountPoint().getNameCount()).reversed());
        return below;
    }

    /** The kernel writes space, tab, newline and backslash in paths as octal escapes (\040 ...). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
