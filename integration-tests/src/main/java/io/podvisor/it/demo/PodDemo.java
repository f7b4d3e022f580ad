package io.podvisor.it.demo;

import io.podvisor.it.ToolLogging;
import io.podvisor.it.cri.CriPod;
import io.podvisor.it.cri.CriTestBed;
import io.podvisor.it.cri.FirstOutput;
import io.podvisor.it.cri.TestBedTeardown;
import io.podvisor.proto.cri.v1.ExecSyncResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code install/demo.sh}: one pod with runtime handler "podvisor" through containerd's CRI, the
 * calls kubelet makes, on a private containerd; then the same pod with runc for comparison. Prints
 * what shows the pod is in a VM: the guest kernel next to the host's, the pod IP on the guest's
 * NIC, the host reaching it, and the time from RunPodSandbox to the container's first output.
 */
public final class PodDemo {
    private static final Pattern INET = Pattern.compile("inet (\\S+)");
    private static final Duration FIRST_OUTPUT_TIMEOUT = Duration.ofMinutes(4);
    private static final List<String> WEB_SERVER = List.of("sh", "-c",
            "echo \"hello from kernel $(uname -r)\"; mkdir -p /tmp/www; echo served-from-the-pod > /tmp/www/index.html;"
                    + " exec httpd -f -p 8080 -h /tmp/www");

    private PodDemo() {}

    public static void main(String[] args) throws Exception {
        ToolLogging.quietUnlessDebug();
        PrintStream out = System.out;
        out.println("== host kernel: " + Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        out.println("== starting a private containerd (CRI, CNI bridge, runtime handler \"podvisor\", local images)");
        try (TestBedTeardown bed = TestBedTeardown.onExit(CriTestBed.start(true), System.err)) {
            runPod(bed.get(), CriTestBed.PODVISOR_HANDLER, "demo-vm", out);
            runPod(bed.get(), "", "demo-runc", out);
            out.println("== pods removed");
        }
    }

    private static void runPod(CriTestBed bed, String handler, String name, PrintStream out)
            throws Exception {
        String runtime = handler.isEmpty() ? "runc" : handler;
        out.println("== pod " + name + " (runtime handler " + runtime + "): RunPodSandbox, CreateContainer, StartContainer");
        Path logDir = bed.logDir(name);
        try (FirstOutput output = FirstOutput.watch(logDir)) {
            long start = System.nanoTime();
            try (CriPod pod = CriPod.run(bed.cri(), name, handler, logDir)) {
                String web = pod.startContainer("web", CriTestBed.BUSYBOX_IMAGE, WEB_SERVER);
                output.await(pod.logFile("web"), FIRST_OUTPUT_TIMEOUT, "container web of pod " + name);
                Duration firstOutput = Duration.ofNanos(System.nanoTime() - start);
                String line = Files.readAllLines(pod.logFile("web")).getFirst();
                out.printf("   first output after %.1f s: %s%n", firstOutput.toMillis() / 1000.0,
                        line.substring(line.indexOf(" F ") + 3));
                String podIp = pod.status().getStatus().getNetwork().getIp();
                out.println("   pod IP from CNI: " + podIp);
                Matcher inet = INET.matcher(exec(pod, web, "ip", "-4", "-o", "addr", "show", "dev", "eth0"));
                out.println("   the container's eth0: " + (inet.find() ? inet.group(1) : "no IPv4 address"));
                out.println("   host -> http://" + podIp + ":8080/: " + fetch("http://" + podIp + ":8080/index.html"));
            }
        }
    }

    private static String exec(CriPod pod, String container, String... command) {
        ExecSyncResponse response = pod.exec(container, 120, command);
        return response.getExitCode() == 0 ? response.getStdout().toStringUtf8()
                : "exit code " + response.getExitCode() + ": " + response.getStderr().toStringUtf8();
    }

    /** The page, retried for a minute while httpd starts. */
    private static String fetch(String url) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (true) {
                try {
                    HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                    return page.statusCode() + " " + page.body().strip();
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        return "unreachable: " + e;
                    }
                    Thread.sleep(500);
                }
            }
        }
    }
}
