package io.podvisor.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.ProcessExit;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ProcessStart;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A RunProcess call from the client side, collecting what the agent sends back. */
final class ProcessCall implements StreamObserver<ProcessOutput> {

    final List<ProcessOutput.OutputCase> order = new ArrayList<>();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final StreamObserver<ProcessInput> input;
    private volatile int pid;
    private volatile ProcessExit exit;
    private volatile Throwable error;

    private ProcessCall(AgentGrpc.AgentStub stub) {
        input = stub.runProcess(this);
    }

    static ProcessCall start(AgentGrpc.AgentStub stub, ProcessStart start) {
        ProcessCall call = new ProcessCall(stub);
        call.input.onNext(ProcessInput.newBuilder().setStart(start).build());
        return call;
    }

    static ProcessCall start(AgentGrpc.AgentStub stub, String... args) {
        return start(stub, ProcessStart.newBuilder().addAllArgs(List.of(args)).build());
    }

    StreamObserver<ProcessInput> input() {
        return input;
    }

    void send(ProcessInput message) {
        input.onNext(message);
    }

    void stdin(String text) {
        send(ProcessInput.newBuilder().setStdin(ByteString.copyFromUtf8(text)).build());
    }

    int awaitStarted() throws InterruptedException {
        assertTrue(started.await(10, TimeUnit.SECONDS), "no started message within 10 s");
        return pid;
    }

    ProcessCall awaitEnd() throws InterruptedException {
        assertTrue(ended.await(20, TimeUnit.SECONDS), "the call did not end within 20 s");
        return this;
    }

    ProcessExit exit() {
        return exit;
    }

    Throwable error() {
        return error;
    }

    synchronized String stdout() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    synchronized String stderr() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void onNext(ProcessOutput output) {
        order.add(output.getOutputCase());
        switch (output.getOutputCase()) {
            case STARTED -> {
                pid = output.getStarted().getPid();
                started.countDown();
            }
            case STDOUT -> stdout.writeBytes(output.getStdout().toByteArray());
            case STDERR -> stderr.writeBytes(output.getStderr().toByteArray());
            case EXIT -> exit = output.getExit();
            case OUTPUT_NOT_SET -> { }
        }
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        started.countDown();
        ended.countDown();
    }

    @Override
    public void onCompleted() {
        ended.countDown();
    }
}
