package io.podvisor.it.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** A file of random bytes in a directory that pods mount as a hostPath volume. */
record VolumeFile(Path dir, String name, long size) {

    static VolumeFile create(Path dir, long size) throws IOException {
        Files.createDirectories(dir);
        String name = "data-" + (size >> 20) + "m";
        SplittableRandom random = new SplittableRandom(size);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(dir.resolve(name))) {
            for (long written = 0; written < size; written += chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, size - written));
            }
        }
        return new VolumeFile(dir, name, size);
    }
}
