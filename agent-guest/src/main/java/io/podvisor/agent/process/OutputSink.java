package io.podvisor.agent.process;

import io.grpc.stub.ServerCallStreamObserver;
import io.podvisor.proto.agent.v1.ProcessOutput;

/**
 * The response side of one RunProcess call. Several threads (stdout, stderr, the exit waiter) send
 * through it; output waits for gRPC flow control, so a slow client slows the process instead of
 * filling the agent's heap.
 */
final class OutputSink {

    private final ServerCallStreamObserver<ProcessOutput> observer;
    private final Object lock = new Object();
    private boolean finished;
    private boolean cancelled;

    OutputSink(ServerCallStreamObserver<ProcessOutput> observer, Runnable onCancel) {
        this.observer = observer;
        observer.setOnReadyHandler(this::wakeUp);
        observer.setOnCancelHandler(() -> {
            synchronized (lock) {
                cancelled = true;
                lock.notifyAll();
            }
            onCancel.run();
        });
    }

    /** Sends output once the client can take it; drops it if the call has ended. */
    void sendOutput(ProcessOutput output) throws InterruptedException {
        synchronized (lock) {
            while (!finished && !cancelled && !observer.isReady()) {
                lock.wait();
            }
            if (!finished && !cancelled) {
                observer.onNext(output);
            }
        }
    }

    void send(ProcessOutput message) {
        synchronized (lock) {
            if (!finished && !cancelled) {
                observer.onNext(message);
            }
        }
    }

    /** Sends the last message and completes the call. */
    void finish(ProcessOutput last) {
        synchronized (lock) {
            if (finished || cancelled) {
                return;
            }
            finished = true;
            observer.onNext(last);
            observer.onCompleted();
            lock.notifyAll();
        }
    }

    void fail(Throwable error) {
        synchronized (lock) {
            if (finished || cancelled) {
                return;
            }
            finished = true;
            observer.onError(error);
            lock.notifyAll();
        }
    }

    boolean isCancelled() {
        synchronized (lock) {
            return cancelled;
        }
    }

    private void wakeUp() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }
}
