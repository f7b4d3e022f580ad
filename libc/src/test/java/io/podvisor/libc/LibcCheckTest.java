package io.podvisor.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Every kind of libc call on the JVM's implementation (FFM); a native image runs the same {@link LibcCheck}. */
class LibcCheckTest {

    @Test
    void everyKindOfCallWorksAndReportsErrno() throws Exception {
        assertEquals(FfmLibc.class, Libc.LIBC.getClass());
        assertEquals(List.of(), LibcCheck.run());
    }
}
