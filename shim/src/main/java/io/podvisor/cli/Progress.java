package io.podvisor.cli;

import java.io.Console;

/** Progress lines on stderr, only when a person is watching a terminal. */
record Progress(boolean enabled) {

    static Progress onTerminal() {
        Console console = System.console();
        return new Progress(console != null && console.isTerminal());
    }

    void say(String line) {
        if (enabled) {
            System.err.println("podvisor: " + line);
        }
    }
}
