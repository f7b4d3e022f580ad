package io.podvisor.hypervisor.virtiofs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {
    @Test
    void overlayOptionsFromContainerdBecomeTheDataString() {
        MountOptions o = MountOptions.parse(List.of("index=off", "lowerdir=/a:/b", "upperdir=/u", "workdir=/w"));
        assertEquals(new MountOptions(0, false, false, "index=off,lowerdir=/a:/b,upperdir=/u,workdir=/w"), o);
    }

    @Test
    void flagWordsBecomeFlagsAndTheLastOfAPairWins() {
        MountOptions o = MountOptions.parse(List.of("ro", "nosuid", "nodev", "rw", "noexec", "ro"));
        assertEquals(MountSyscalls.MS_RDONLY | MountSyscalls.MS_NOSUID | MountSyscalls.MS_NODEV
                | MountSyscalls.MS_NOEXEC, o.flags());
        assertEquals(true, o.readOnly());
        assertEquals(null, o.data());
    }

    @Test
    void bindWordsMakeABindAndPropagationWordsAreDropped() {
        MountOptions o = MountOptions.parse(List.of("rbind", "rprivate", "rw"));
        assertEquals(new MountOptions(0, true, false, null), o);
    }
}
