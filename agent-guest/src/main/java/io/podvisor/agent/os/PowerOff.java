package io.podvisor.agent.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Syncs the filesystems and powers the machine off: the end of the VM. */
public final class PowerOff {

    private PowerOff() {}

    /** Returns only if the kernel refused (for example without CAP_SYS_BOOT); the exception says why. */
    public static void now() {
        try (Arena arena = Arena.ofConfined()) {
            Libc.Power.SYNC.invokeExact();
            MemorySegment state = Libc.errnoState(arena);
            int rc = (int) Libc.Power.REBOOT.invokeExact(state, Libc.Power.LINUX_REBOOT_CMD_POWER_OFF);
            throw new IllegalStateException("reboot(POWER_OFF) returned " + rc + ": "
                    + Libc.strerror(Libc.errno(state)));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("reboot(POWER_OFF)", t);
        }
    }
}
