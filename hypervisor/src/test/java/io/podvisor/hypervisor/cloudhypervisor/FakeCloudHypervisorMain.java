package io.podvisor.hypervisor.cloudhypervisor;

import java.nio.file.Path;
import java.util.List;

/**
 * Stands in for the cloud-hypervisor binary in lifecycle tests: takes {@code --api-socket
 * path=...}, serves the API as {@link FakeApiServer} does, prints its argv and every request to
 * stdout (the VM's log) and exits once it has answered vmm.shutdown, as Cloud Hypervisor does.
 * {@code FAKE_CH_FAIL=<operation>} makes that operation answer 500; {@code FAKE_CH_HANG=1} keeps
 * it running after vmm.shutdown, like a wedged VMM.
 */
public final class FakeCloudHypervisorMain {
    private FakeCloudHypervisorMain() {}

    public static void main(String[] args) throws Exception {
        List<String> argv = List.of(args);
        int i = argv.indexOf("--api-socket");
        if (i < 0 || !argv.get(i + 1).startsWith("path=")) {
            System.err.println("fake cloud-hypervisor: no --api-socket path=...");
            System.exit(2);
        }
        System.out.println("argv: " + String.join(" ", argv));
        try (FakeApiServer server = new FakeApiServer(Path.of(argv.get(i + 1).substring("path=".length())))) {
            String failing = System.getenv("FAKE_CH_FAIL");
            if (failing != null) {
                server.respond(Endpoint.API_ROOT + "/" + failing, FakeApiServer.response(500, "Internal Server Error",
                        "[\"Error from API\",\"fake failure of " + failing + "\"]"));
            }
            server.onRequest(r -> System.out.println("request: " + r.method() + " " + r.target()
                    + (r.body() != null ? " " + r.body() : "")));
            server.awaitAnswered(Endpoint.VMM_SHUTDOWN.target());
            if (System.getenv("FAKE_CH_HANG") != null) {
                Thread.currentThread().join();
            }
        }
    }
}
