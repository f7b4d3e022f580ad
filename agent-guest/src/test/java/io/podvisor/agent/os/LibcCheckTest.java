package io.podvisor.agent.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import org.junit.jupiter.api.Test;

class LibcCheckTest {

    @Test
    void everyKindOfLibcCallWorksThroughFfmOnTheJvm() throws Exception {
        assertInstanceOf(FfmLibc.class, Libc.LIBC);
        assertEquals(List.of(), LibcCheck.run());
    }
}
