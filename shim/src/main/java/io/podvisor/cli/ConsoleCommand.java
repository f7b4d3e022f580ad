package io.podvisor.cli;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code podvisor console POD [-f]}: the pod's guest serial console, as written so far; -f follows it. */
final class ConsoleCommand {
    private ConsoleCommand() {}

    record Options(String pod, boolean follow) {
        static Options parse(List<String> args) {
            String pod = null;
            boolean follow = false;
            for (String a : args) {
                if (a.equals("-f") || a.equals("--follow")) {
                    follow = true;
                } else if (a.startsWith("-")) {
                    throw new IllegalArgumentException("unknown option '" + a + "' for 'console'");
                } else if (pod == null) {
                    pod = a;
                } else {
                    throw new IllegalArgumentException("console takes one pod, got '" + pod + "' and '" + a + "'");
                }
            }
            if (pod == null) {
                throw new IllegalArgumentException("console needs a pod id (or a prefix): `podvisor pods` lists them");
            }
            return new Options(pod, follow);
        }
    }

    static int run(PodVmStatus pod, boolean follow, PrintStream out, PrintStream err) throws IOException {
        Path log = pod.consoleLog();
        if (!Files.exists(log)) {
            err.println("podvisor: pod " + pod.id() + " has no console log yet (" + log
                    + " is written once its VM starts): try again in a moment");
            return 1;
        }
        try (InputStream in = new FileInputStream(log.toFile())) {
            in.transferTo(out);
            out.flush();
            if (follow) {
                follow(pod, in, out);
                if (!Files.isDirectory(pod.dir())) {
                    err.println("podvisor: pod " + pod.id() + " has stopped (" + pod.dir() + " is gone)");
                }
            }
        }
        return 0;
    }

    /** Copies what the guest writes until the pod's directory goes (the pod stopped) or our reader does. */
    static void follow(PodVmStatus pod, InputStream in, PrintStream out) throws IOException {
        try (WatchService watch = FileSystems.getDefault().newWatchService()) {
            pod.dir().register(watch, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
            while (Files.isDirectory(pod.dir())) {
                // A change wakes us at once; the timeout only bounds how late we notice the directory going.
                WatchKey key = watch.poll(1, TimeUnit.SECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
                in.transferTo(out);
                out.flush();
                if (out.checkError()) {
                    return; // whoever read our output has gone (`podvisor console -f POD | head`)
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
