package io.podvisor.hypervisor;

import java.util.ArrayList;
import java.util.List;

/**
 * The guest kernel command line: the arguments every driver passes, then the driver's own, then
 * {@link VmSpec#kernelArgs()} last, so that a {@code --} there hands what follows to init.
 */
public final class KernelCommandLine {

    /**
     * Serial console; reboot at once on panic, and an oops is a panic (the VMM then exits instead of
     * leaving a dead or wedged guest running: a pod's calls fail at once rather than hang); console log level 6 keeps the banner, notices and errors but drops the
     * hundreds of info lines that slow an emulated serial port; no self-tests of the kernel's
     * crypto algorithms at boot (a third of the time to /init under TCG).
     */
    public static final List<String> COMMON = List.of("console=ttyS0", "panic=-1", "oops=panic", "loglevel=6", "cryptomgr.notests");

    /** x86 COMMAND_LINE_SIZE, including the terminating NUL. */
    static final int MAX_LENGTH = 2047;

    private KernelCommandLine() {}

    /** The command line for {@code spec}, with {@code driverArgs} between the common and the VM's own. */
    public static String build(VmSpec spec, List<String> driverArgs) throws VmmException {
        List<String> args = new ArrayList<>(COMMON);
        args.addAll(driverArgs);
        args.addAll(spec.kernelArgs());
        for (String arg : args) {
            if (arg.isEmpty() || arg.chars().anyMatch(c -> c <= ' ' || c == '"' || c == 0x7f)) {
                throw new VmmException("VM " + spec.name() + ": kernel argument \"" + arg
                        + "\" is empty or contains a space, quote or control character; pass each argument separately");
            }
        }
        String line = String.join(" ", args);
        if (line.length() > MAX_LENGTH) {
            throw new VmmException("VM " + spec.name() + ": kernel command line is " + line.length()
                    + " characters, the kernel takes at most " + MAX_LENGTH + "; drop some kernel arguments");
        }
        return line;
    }
}
