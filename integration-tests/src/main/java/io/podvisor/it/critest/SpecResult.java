package io.podvisor.it.critest;

/** One critest spec's outcome in one run: its full text, Ginkgo's state and the failure's message (or ""). */
public record SpecResult(String spec, String state, String failure) {
    public boolean ran() {
        return !state.equals("skipped") && !state.equals("pending");
    }

    public boolean passed() {
        return state.equals("passed");
    }
}
