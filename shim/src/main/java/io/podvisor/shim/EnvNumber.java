package io.podvisor.shim;

/** A whole number a shim process takes from its environment (waits, delays; tests shorten them). */
final class EnvNumber {
    private EnvNumber() {
    }

    /** The variable {@code name} as a number; {@code byDefault} when it is unset or not a number. */
    static long of(String name, long byDefault) {
        try {
            return Long.parseLong(System.getenv().getOrDefault(name, String.valueOf(byDefault)));
        } catch (NumberFormatException e) {
            return byDefault;
        }
    }
}
