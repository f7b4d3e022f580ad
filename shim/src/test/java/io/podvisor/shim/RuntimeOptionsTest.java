package io.podvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.podvisor.proto.containerd.runtimeoptions.v1.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeOptionsTest {
    @TempDir
    Path dir;

    private static Optional<Any> options(Options options) {
        return Optional.of(Any.pack(options, "type.googleapis.com"));
    }

    @Test
    void noOptionsIsTheNodesConfig() throws Exception {
        assertTrue(RuntimeOptions.from(Optional.empty()).configPath().isEmpty());
    }

    @Test
    void configPathNamesThePodvisorConfig() throws Exception {
        Path config = Files.writeString(dir.resolve("pods.toml"), "default_vcpus = 1\n");
        assertEquals(Optional.of(config),
                RuntimeOptions.from(options(Options.newBuilder().setConfigPath(config.toString()).build())).configPath());
    }

    @Test
    void anUnknownOptionIsRefusedByName() {
        // What the CRI plugin sends for [plugins...runtimes.podvisor.options] Memory = 512 (no ConfigPath).
        Options body = Options.newBuilder().setConfigBody(ByteString.copyFromUtf8("Memory = 512\n")).build();
        ShimException e = assertThrows(ShimException.class, () -> RuntimeOptions.from(options(body)));
        assertTrue(e.getMessage().contains("unknown runtime option Memory"), e.getMessage());
        assertTrue(e.getMessage().contains("ConfigPath"), e.getMessage());
    }

    @Test
    void anotherRuntimesOptionsAreRefusedByType() {
        Any runc = Any.newBuilder().setTypeUrl("containerd.runc.v1.Options").build();
        ShimException e = assertThrows(ShimException.class, () -> RuntimeOptions.from(Optional.of(runc)));
        assertTrue(e.getMessage().contains("containerd.runc.v1.Options"), e.getMessage());
    }

    @Test
    void aConfigPathThatIsNoFileIsNamed() {
        ShimException e = assertThrows(ShimException.class, () -> RuntimeOptions.from(
                options(Options.newBuilder().setConfigPath("/no/such/podvisor.toml").build())));
        assertTrue(e.getMessage().contains("/no/such/podvisor.toml"), e.getMessage());
    }
}
