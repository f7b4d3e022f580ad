package io.podvisor.shim.task;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TaskIdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"9c1f0a", "web", "my-pod_1.container", "exec-1a2b3c"})
    void containerdStyleIdsPass(String id) {
        assertDoesNotThrow(() -> TaskIds.require("container", id));
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "../etc", "a/b", "/abs", "a..b", "-lead", "trail.", "tab\there", "new\nline", "sp ace"})
    void idsThatCouldEscapeAPathOrALineAreRefused(String id) {
        TaskException e = assertThrows(TaskException.class, () -> TaskIds.require("container", id));
        assertEquals(true, e.getMessage().startsWith("container id \""), e.getMessage());
    }

    @Test
    void emptyAndOverlongIdsAreRefusedByName() {
        assertEquals("container id is empty",
                assertThrows(TaskException.class, () -> TaskIds.require("container", "")).getMessage());
        String longId = "a".repeat(77);
        TaskException e = assertThrows(TaskException.class, () -> TaskIds.require("exec", longId));
        assertEquals("exec id \"" + "a".repeat(76) + "...\" is not valid: use letters and digits with single '.', '_'"
                + " or '-' between them, at most 76 characters", e.getMessage());
    }

    @Test
    void controlCharactersAreShownEscaped() {
        TaskException e = assertThrows(TaskException.class, () -> TaskIds.require("exec", "a\nb"));
        assertEquals(true, e.getMessage().startsWith("exec id \"a\\x0ab\""), e.getMessage());
    }
}
