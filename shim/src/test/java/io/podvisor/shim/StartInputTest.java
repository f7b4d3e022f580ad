package io.podvisor.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.podvisor.proto.containerd.runtime.bootstrap.v1.BootstrapParams;
import io.podvisor.proto.containerd.runtime.bootstrap.v1.Extension;
import io.podvisor.proto.containerd.runtimeoptions.v1.Options;
import org.junit.jupiter.api.Test;

class StartInputTest {
    private static final Any OPTIONS = Any.pack(Options.newBuilder().setConfigPath("/etc/podvisor/pods.toml").build(), "");

    @Test
    void nothingOnStdinIsNoOptions() throws Exception {
        StartInput input = StartInput.parse(new byte[0], "c1");
        assertTrue(input.bootstrap().isEmpty());
        assertTrue(input.options().isEmpty());
    }

    @Test
    void bootstrapParamsOfContainerd23AreRead() throws Exception {
        BootstrapParams params = BootstrapParams.newBuilder().setInstanceId("c1").setNamespace("k8s.io")
                .setContainerdVersion("v2.3.0").setContainerdGrpcAddress("/run/containerd/containerd.sock")
                .addExtensions(Extension.newBuilder().setValue(OPTIONS)).build();
        StartInput input = StartInput.parse(params.toByteArray(), "c1");
        assertEquals("v2.3.0", input.bootstrap().orElseThrow().getContainerdVersion());
        assertEquals(OPTIONS, input.options().orElseThrow());
        assertEquals(3, input.containerdVersion("unused").startReplyVersion());
    }

    @Test
    void anOptionsAnyOfContainerdBefore23IsTheOptions() throws Exception {
        StartInput input = StartInput.parse(OPTIONS.toByteArray(), "c1");
        assertTrue(input.bootstrap().isEmpty());
        assertEquals(OPTIONS, input.options().orElseThrow());
    }

    @Test
    void anOptionsAnyThatAlsoDecodesAsBootstrapParamsIsStillTheOptions() throws Exception {
        // Type URL and value land in BootstrapParams' instance_id and namespace; the instance id gives it away.
        Any printable = Any.newBuilder().setTypeUrl("runtimeoptions.v1.Options")
                .setValue(ByteString.copyFromUtf8("x")).build();
        assertEquals("runtimeoptions.v1.Options", BootstrapParams.parseFrom(printable.toByteArray()).getInstanceId());
        StartInput input = StartInput.parse(printable.toByteArray(), "c1");
        assertTrue(input.bootstrap().isEmpty());
        assertEquals(printable, input.options().orElseThrow());
    }

    @Test
    void garbageIsNamedAsNeither() {
        ShimException e = assertThrows(ShimException.class, () -> StartInput.parse(new byte[] {(byte) 0xff, 1}, "c1"));
        assertTrue(e.getMessage().contains("neither containerd's BootstrapParams nor runtime options"), e.getMessage());
    }
}
