package io.podvisor.agent;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.podvisor.agent.process.ProcessSession;
import io.podvisor.proto.agent.v1.AgentGrpc;
import io.podvisor.proto.agent.v1.GetGuestInfoRequest;
import io.podvisor.proto.agent.v1.GuestInfo;
import io.podvisor.proto.agent.v1.ProcessInput;
import io.podvisor.proto.agent.v1.ProcessOutput;
import io.podvisor.proto.agent.v1.ShutdownRequest;
import io.podvisor.proto.agent.v1.ShutdownResponse;
import java.io.IOException;

/** The podvisor.agent.v1.Agent service: thin translation onto the classes that do the work. */
final class AgentService extends AgentGrpc.AgentImplBase {

    private final GuestInfoReader guestInfo;
    private final Runnable shutdown;

    /** @param shutdown runs once the Shutdown answer has been sent */
    AgentService(GuestInfoReader guestInfo, Runnable shutdown) {
        this.guestInfo = guestInfo;
        this.shutdown = shutdown;
    }

    @Override
    public void getGuestInfo(GetGuestInfoRequest request, StreamObserver<GuestInfo> responses) {
        try {
            responses.onNext(guestInfo.read());
            responses.onCompleted();
        } catch (IOException | RuntimeException e) {
            responses.onError(Status.INTERNAL.withDescription("cannot read guest info: " + e.getMessage())
                    .asRuntimeException());
        }
    }

    @Override
    public StreamObserver<ProcessInput> runProcess(StreamObserver<ProcessOutput> responses) {
        return new ProcessSession(responses);
    }

    @Override
    public void shutdown(ShutdownRequest request, StreamObserver<ShutdownResponse> responses) {
        ((ServerCallStreamObserver<ShutdownResponse>) responses).setOnCloseHandler(shutdown);
        responses.onNext(ShutdownResponse.getDefaultInstance());
        responses.onCompleted();
    }
}
