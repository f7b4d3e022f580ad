package io.podvisor.hypervisor.os;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The host's libc calls on the JVM's implementation (FFM); a native image runs the same {@link LibcCheck}. */
class LibcCheckTest {

    @Test
    void everyKindOfHostCallWorksAndReportsErrno() throws Exception {
        assertEquals(FfmLibc.class, Libc.LIBC.getClass());
        assertEquals(List.of(), LibcCheck.run());
    }
}
