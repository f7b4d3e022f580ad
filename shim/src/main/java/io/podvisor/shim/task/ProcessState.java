package io.podvisor.shim.task;

import io.podvisor.proto.containerd.types.task.Status;

/** Where a process is in its life; each transition is a method of {@link ProcessTask}. */
sealed interface ProcessState {
    Status status();

    /** Created, its program not yet running. */
    record Created() implements ProcessState {
        public Status status() {
            return Status.CREATED;
        }
    }

    record Running(int pid) implements ProcessState {
        public Status status() {
            return Status.RUNNING;
        }
    }

    /** Frozen by Pause (init processes only: pausing is per container). */
    record Paused(int pid) implements ProcessState {
        public Status status() {
            return Status.PAUSED;
        }
    }

    /** Exited; its exit has been published. */
    record Stopped(Exit exit) implements ProcessState {
        public Status status() {
            return Status.STOPPED;
        }
    }

    /** Deleted by containerd: only its exit is remembered, for late waiters. */
    record Deleted(Exit exit) implements ProcessState {
        public Status status() {
            return Status.STOPPED;
        }
    }
}
