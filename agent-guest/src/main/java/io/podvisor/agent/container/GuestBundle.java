package io.podvisor.agent.container;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A container's bundle in the guest ({@code <run dir>/bundles/<id>/}): the rewritten config.json, the pid
 * files crun writes, and the process and resources files handed to {@code crun exec} and {@code crun update}.
 */
final class GuestBundle {

    private final Path dir;

    private GuestBundle(Path dir) {
        this.dir = dir;
    }

    /** Writes a fresh bundle, replacing what an earlier container of the same id may have left. */
    static GuestBundle create(Path bundlesDir, String containerId, ObjectNode config) throws IOException {
        GuestBundle bundle = new GuestBundle(bundlesDir.resolve(containerId));
        bundle.delete();
        Files.createDirectories(bundle.dir);
        bundle.writeConfig(config);
        return bundle;
    }

    Path dir() {
        return dir;
    }

    void writeConfig(ObjectNode config) throws IOException {
        write(dir.resolve("config.json"), config);
    }

    Path initPidFile() {
        return dir.resolve("init.pid");
    }

    /** Where the process of exec number {@code n} is described; its pid file sits next to it. */
    Path execProcessFile(int n) {
        return dir.resolve("exec-" + n + ".json");
    }

    Path execPidFile(int n) {
        return dir.resolve("exec-" + n + ".pid");
    }

    /** Where the terminal gate of exec number {@code n} is written for crun to open. */
    Path execGateFile(int n) {
        return dir.resolve("exec-" + n + ".gate");
    }

    Path resourcesFile(int n) {
        return dir.resolve("resources-" + n + ".json");
    }

    static void write(Path file, ObjectNode json) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.write(partial, GuestSpec.JSON.writeValueAsBytes(json));
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes the bundle; files that go meanwhile (an exec's, as it ends) are no error. */
    void delete() throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(directory);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
