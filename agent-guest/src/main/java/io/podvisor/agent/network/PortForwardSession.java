package io.podvisor.agent.network;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.podvisor.proto.agent.v1.PortForwardInput;
import io.podvisor.proto.agent.v1.PortForwardOutput;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.logging.Logger;

/**
 * One PortForward call: a TCP connection to a port on the guest's loopback, the pod's localhost, as
 * containerd makes one in a runc pod's network namespace. IPv4 first, then IPv6, as containerd tries
 * them. Data from the host is written as it comes (the call's next message waits for the write, which is
 * the flow control that way); data from the port waits for gRPC to be ready.
 */
public final class PortForwardSession implements StreamObserver<PortForwardInput> {
    private static final Logger LOG = Logger.getLogger(PortForwardSession.class.getName());
    private static final int CHUNK = 32 * 1024;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final ServerCallStreamObserver<PortForwardOutput> responses;
    private final Object lock = new Object();
    private SocketChannel socket;
    private int port;
    private boolean hostDone;
    private boolean guestDone;
    private boolean ended;

    public PortForwardSession(StreamObserver<PortForwardOutput> responses) {
        this.responses = (ServerCallStreamObserver<PortForwardOutput>) responses;
        this.responses.setOnReadyHandler(this::wakeUp);
        this.responses.setOnCancelHandler(this::close);
    }

    @Override
    public void onNext(PortForwardInput input) {
        synchronized (lock) {
            if (ended) {
                return;
            }
        }
        try {
            if (socket == null) {
                connect(input);
                return;
            }
            switch (input.getInputCase()) {
                case DATA -> {
                    ByteBuffer data = input.getData().asReadOnlyByteBuffer();
                    while (data.hasRemaining()) {
                        socket.write(data);
                    }
                }
                case EOF -> {
                    socket.shutdownOutput();
                    hostDone();
                }
                case PORT -> throw Status.INVALID_ARGUMENT.withDescription("port " + port + " is already connected")
                        .asRuntimeException();
                case INPUT_NOT_SET -> { }
            }
        } catch (IOException e) {
            fail(Status.UNAVAILABLE.withDescription("port " + port + " in the guest: " + e.getMessage()));
        } catch (io.grpc.StatusRuntimeException e) {
            fail(e.getStatus());
        }
    }

    private void connect(PortForwardInput input) throws IOException {
        if (input.getInputCase() != PortForwardInput.InputCase.PORT || input.getPort() == 0 || input.getPort() > 65535) {
            throw Status.INVALID_ARGUMENT.withDescription("the first PortForward message must carry a port"
                    + " (1-65535), not " + input).asRuntimeException();
        }
        port = input.getPort();
        SocketChannel channel = open(InetAddress.getByName("127.0.0.1"));
        if (channel == null) {
            channel = open(InetAddress.getByName("::1"));
        }
        if (channel == null) {
            throw Status.UNAVAILABLE.withDescription("nothing accepts connections on port " + port
                    + " of the pod's localhost (127.0.0.1 or ::1) in the guest").asRuntimeException();
        }
        synchronized (lock) {
            socket = channel;
            if (ended) {
                channel.close();
                return;
            }
            responses.onNext(PortForwardOutput.newBuilder().setConnected(true).build());
        }
        Thread.ofVirtual().name("port-forward-" + port).start(this::copyFromPort);
    }

    private SocketChannel open(InetAddress address) {
        try {
            SocketChannel channel = SocketChannel.open();
            Socket plain = channel.socket();
            try {
                plain.connect(new InetSocketAddress(address, port), CONNECT_TIMEOUT_MILLIS);
                return channel;
            } catch (IOException e) {
                channel.close();
                return null;
            }
        } catch (IOException e) {
            return null;
        }
    }

    private void copyFromPort() {
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        try {
            while (socket.read(buffer.clear()) >= 0) {
                if (!awaitReady()) {
                    return;
                }
                send(PortForwardOutput.newBuilder().setData(ByteString.copyFrom(buffer.flip())).build());
            }
            send(PortForwardOutput.newBuilder().setEof(true).build());
            guestDone();
        } catch (IOException e) {
            fail(Status.UNAVAILABLE.withDescription("port " + port + " in the guest: " + e.getMessage()));
        } catch (InterruptedException e) {
            close();
        }
    }

    private boolean awaitReady() throws InterruptedException {
        synchronized (lock) {
            while (!ended && !responses.isReady()) {
                lock.wait();
            }
            return !ended;
        }
    }

    private void send(PortForwardOutput output) {
        synchronized (lock) {
            if (!ended) {
                responses.onNext(output);
            }
        }
    }

    private void hostDone() {
        synchronized (lock) {
            hostDone = true;
            finishIfBothDone();
        }
    }

    private void guestDone() {
        synchronized (lock) {
            guestDone = true;
            finishIfBothDone();
        }
    }

    private void finishIfBothDone() {
        if (hostDone && guestDone && !ended) {
            ended = true;
            responses.onCompleted();
            closeSocket();
        }
    }

    private void fail(Status status) {
        synchronized (lock) {
            if (!ended) {
                ended = true;
                responses.onError(status.asRuntimeException());
            }
            closeSocket();
            lock.notifyAll();
        }
    }

    private void wakeUp() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    /** The host went away: the connection in the guest ends too. */
    private void close() {
        synchronized (lock) {
            ended = true;
            closeSocket();
            lock.notifyAll();
        }
    }

    private void closeSocket() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                LOG.fine("port " + port + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        close();
    }

    /** The host half-closed without an eof message, or ended the call: the same for the port. */
    @Override
    public void onCompleted() {
        synchronized (lock) {
            if (socket != null && !hostDone && !ended) {
                try {
                    socket.shutdownOutput();
                } catch (IOException e) {
                    LOG.fine("port " + port + ": " + e.getMessage());
                }
                hostDone = true;
                finishIfBothDone();
            }
        }
    }
}
