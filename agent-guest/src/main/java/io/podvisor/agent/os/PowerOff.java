package io.podvisor.agent.os;

import static io.podvisor.libc.Libc.LIBC;

/** Syncs the filesystems and powers the machine off: the end of the VM. */
public final class PowerOff {

    private static final int LINUX_REBOOT_CMD_POWER_OFF = 0x4321FEDC;

    private PowerOff() {}

    /** Returns only if the kernel refused (for example without CAP_SYS_BOOT); the exception says why. */
    public static void now() {
        LIBC.sync();
        int errno = -LIBC.reboot(LINUX_REBOOT_CMD_POWER_OFF);
        throw new IllegalStateException("reboot(POWER_OFF) returned -1: " + LIBC.strerror(errno));
    }
}
