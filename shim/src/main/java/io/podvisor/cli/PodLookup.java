package io.podvisor.cli;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Finds the pod a user means, as crictl and docker take ids: the whole pod id or a prefix of it that only one
 * pod has, the pod directory's name (or a prefix), or the pod's name ({@code namespace/name} or {@code name}).
 */
final class PodLookup {
    private PodLookup() {}

    /** Thrown when no pod, or more than one, matches; the message says what to do. */
    static final class NoSuchPodException extends Exception {
        NoSuchPodException(String message) {
            super(message);
        }
    }

    static PodVmStatus find(List<PodVmStatus> pods, String query) throws NoSuchPodException {
        if (query.isEmpty()) {
            throw new NoSuchPodException("name a pod: `podvisor pods` lists them");
        }
        List<PodVmStatus> exact = pods.stream().filter(p -> p.id().equals(query)).toList();
        if (exact.size() == 1) {
            return exact.getFirst();
        }
        List<PodVmStatus> matches = pods.stream().filter(p -> matches(p, query)).toList();
        if (matches.size() == 1) {
            return matches.getFirst();
        }
        if (matches.isEmpty()) {
            throw new NoSuchPodException("no pod VM on this node matches '" + query + "'"
                    + (pods.isEmpty() ? " (none runs)" : "") + ": `podvisor pods` lists them");
        }
        throw new NoSuchPodException("'" + query + "' matches " + matches.size() + " pods: "
                + matches.stream().map(PodLookup::describe).collect(Collectors.joining(", "))
                + "; give more of the id (`podvisor pods --json` shows whole ids)");
    }

    private static boolean matches(PodVmStatus pod, String query) {
        return pod.id().startsWith(query)
                || pod.dir().getFileName().toString().startsWith(query)
                || (!pod.podName().isEmpty() && (pod.podName().equals(query) || pod.info().name().equals(query)));
    }

    private static String describe(PodVmStatus pod) {
        return pod.id() + (pod.podName().isEmpty() ? "" : " (" + pod.podName() + ")");
    }
}
