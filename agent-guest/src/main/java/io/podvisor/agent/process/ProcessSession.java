package io.podvisor.agent.process;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ProcessStarted;
import java.io.IOException;
import java.util.logging.Logger;

/** One RunProcess call: the first message starts the process, later ones feed it. */
public final class ProcessSession implements StreamObserver<ProcessInput> {

    private static final Logger LOG = Logger.getLogger(ProcessSession.class.getName());

    private final OutputSink sink;
    private final ProcessLauncher launcher;
    private volatile RunningProcess process;
    private boolean failed;

    public ProcessSession(StreamObserver<ProcessOutput> responses, ProcessLauncher launcher) {
        this.sink = new OutputSink((ServerCallStreamObserver<ProcessOutput>) responses, this::clientLeft);
        this.launcher = launcher;
    }

    @Override
    public void onNext(ProcessInput input) {
        if (failed) {
            return;
        }
        try {
            if (process == null) {
                if (input.getInputCase() != ProcessInput.InputCase.START) {
                    throw Status.INVALID_ARGUMENT
                            .withDescription("the first RunProcess message must carry start, not " + input.getInputCase())
                            .asRuntimeException();
                }
                LaunchedProcess launched = launcher.launch(input.getStart());
                sink.send(ProcessOutput.newBuilder()
                        .setStarted(ProcessStarted.newBuilder().setPid(launched.pid())).build());
                process = new RunningProcess(launched, sink);
                if (sink.isCancelled()) {
                    process.kill();
                }
                return;
            }
            switch (input.getInputCase()) {
                case START -> throw Status.INVALID_ARGUMENT
                        .withDescription(process.name() + " is already started").asRuntimeException();
                case STDIN -> process.writeStdin(input.getStdin().toByteArray());
                case STDIN_EOF -> process.closeStdin();
                case SIGNAL -> process.signal(input.getSignal());
                case RESIZE -> process.resize(input.getResize().getRows(), input.getResize().getColumns());
                case INPUT_NOT_SET -> { }
            }
        } catch (StatusRuntimeException e) {
            failed = true;
            sink.fail(e);
            if (process != null) {
                process.kill();
            }
        } catch (IOException e) {
            if (process == null) {
                failed = true;
                sink.fail(Status.INTERNAL.withDescription("cannot start the process: " + e.getMessage())
                        .asRuntimeException());
            } else {
                LOG.warning(process.name() + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        clientLeft();
    }

    /** The client has no more input: for a pipe that is stdin EOF, so `cat` ends. */
    @Override
    public void onCompleted() {
        if (process != null && !failed) {
            process.closeStdin();
        }
    }

    private void clientLeft() {
        if (process != null) {
            process.kill();
        }
    }
}
