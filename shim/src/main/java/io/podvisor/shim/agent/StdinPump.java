package io.podvisor.shim.agent;

import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.podvisor.proto.agent.v1.ProcessInput;
import java.io.IOException;
import java.io.InputStream;

/**
 * Copies a local input stream to a guest process's stdin, respecting gRPC flow control, and
 * ends with stdin EOF. Runs on its own daemon thread once the process started.
 */
final class StdinPump {
    private static final int CHUNK = 32 * 1024;

    private final InputStream in;
    private final Object lock = new Object();
    private ClientCallStreamObserver<ProcessInput> requests;
    private Thread thread;
    private boolean stopped;

    StdinPump(InputStream in) {
        this.in = in;
    }

    void attach(ClientCallStreamObserver<ProcessInput> requests) {
        this.requests = requests;
        requests.setOnReadyHandler(() -> {
            synchronized (lock) {
                lock.notifyAll();
            }
        });
    }

    void send(ProcessInput input) {
        synchronized (lock) {
            if (!stopped) {
                requests.onNext(input);
            }
        }
    }

    void startWhenStarted() {
        synchronized (lock) {
            if (thread != null || stopped) {
                return;
            }
            thread = Thread.ofPlatform().daemon().name("stdin-pump").start(this::pump);
        }
    }

    void stop() {
        synchronized (lock) {
            if (!stopped) {
                stopped = true;
                requests.onCompleted();
            }
            lock.notifyAll();
        }
    }

    private void pump() {
        byte[] buf = new byte[CHUNK];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n == 0) {
                    continue;
                }
                if (!awaitReady()) {
                    return;
                }
                send(ProcessInput.newBuilder().setStdin(ByteString.copyFrom(buf, 0, n)).build());
            }
        } catch (IOException e) {
            // Local stdin failed: the guest process just sees EOF.
        } catch (InterruptedException e) {
            return;
        }
        send(ProcessInput.newBuilder().setStdinEof(true).build());
    }

    private boolean awaitReady() throws InterruptedException {
        synchronized (lock) {
            while (!stopped && !requests.isReady()) {
                lock.wait();
            }
            return !stopped;
        }
    }
}
