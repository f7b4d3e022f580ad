package io.podvisor.it.critest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * critest specs a runtime handler does not run, each with its reason. One entry a line:
 * {@code <regular expression on the spec's full text> -- <reason>}; blank lines and lines starting with
 * {@code #} are ignored.
 */
public record SkipList(List<Entry> entries) {
    private static final String SEPARATOR = " -- ";

    /** One skipped pattern and why. */
    public record Entry(Pattern pattern, String reason) {
    }

    public SkipList {
        entries = List.copyOf(entries);
    }

    public static SkipList none() {
        return new SkipList(List.of());
    }

    public static SkipList read(Path file) throws IOException {
        List<Entry> entries = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int split = line.indexOf(SEPARATOR);
            if (split <= 0 || line.substring(split + SEPARATOR.length()).isBlank()) {
                throw new IOException(file + ":" + (i + 1) + ": expected '<spec regex>" + SEPARATOR + "<reason>', got: " + line);
            }
            try {
                entries.add(new Entry(Pattern.compile(line.substring(0, split).strip()),
                        line.substring(split + SEPARATOR.length()).strip()));
            } catch (PatternSyntaxException e) {
                throw new IOException(file + ":" + (i + 1) + ": not a regular expression: " + e.getDescription(), e);
            }
        }
        return new SkipList(entries);
    }

    /** This list's entries, then {@code other}'s. */
    public SkipList plus(SkipList other) {
        List<Entry> all = new ArrayList<>(entries);
        all.addAll(other.entries());
        return new SkipList(all);
    }

    /** The reason {@code spec} (its full text) is skipped, if it is. */
    public Optional<String> reason(String spec) {
        return entries.stream().filter(entry -> entry.pattern().matcher(spec).find()).map(Entry::reason).findFirst();
    }

    /** The patterns as critest's {@code --ginkgo.skip} arguments. */
    public List<String> ginkgoSkipArgs() {
        List<String> args = new ArrayList<>();
        for (Entry entry : entries) {
            args.add("--ginkgo.skip=" + entry.pattern().pattern());
        }
        return args;
    }
}
