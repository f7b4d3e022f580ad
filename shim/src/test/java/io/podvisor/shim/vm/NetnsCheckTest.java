package io.podvisor.shim.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.Code;
import io.podvisor.shim.task.TaskException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel's own namespaces (this process's) and real files stand in for the pod's netns path. */
class NetnsCheckTest {
    @TempDir
    Path tmp;

    @Test
    void aNetworkNamespacePasses() throws TaskException {
        NetnsCheck.require("pod p1", Path.of("/proc/self/ns/net"));
    }

    @Test
    void aMissingNamespaceNamesPodPathAndCause() {
        Path gone = tmp.resolve("cni-1234");
        TaskException e = assertThrows(TaskException.class, () -> NetnsCheck.require("pod p1", gone));
        assertEquals(Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().startsWith("podvisor: pod p1: its network namespace " + gone + " does not exist:"
                + " the pod's CNI network namespace was removed"), e.getMessage());
    }

    @Test
    void aPlainFileLeftWhereTheNamespaceWasIsRefused() throws Exception {
        Path file = Files.createFile(tmp.resolve("cni-1234"));
        TaskException e = assertThrows(TaskException.class, () -> NetnsCheck.require("pod p1", file));
        assertTrue(e.getMessage().startsWith("podvisor: pod p1: " + file + " is not a network namespace (no namespace"
                + " at all)"), e.getMessage());
    }

    @Test
    void anotherKindOfNamespaceIsRefused() {
        TaskException e = assertThrows(TaskException.class,
                () -> NetnsCheck.require("pod p1", Path.of("/proc/self/ns/ipc")));
        assertTrue(e.getMessage().contains("is not a network namespace (an IPC namespace)"), e.getMessage());
    }
}
