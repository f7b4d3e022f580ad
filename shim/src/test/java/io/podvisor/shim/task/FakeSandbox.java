package io.podvisor.shim.task;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import io.podvisor.shim.io.ProcessIo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A sandbox whose processes exit when killed (status 128+signal) or when a test says so. */
final class FakeSandbox implements Sandbox {
    final Map<String, FakeContainer> containers = new ConcurrentHashMap<>();
    final AtomicInteger nextPid = new AtomicInteger(100);
    volatile boolean shutDown;

    @Override
    public Container createContainer(ContainerRequest request) {
        FakeContainer container = new FakeContainer(request);
        containers.put(request.id(), container);
        return container;
    }

    @Override
    public void shutdown() {
        shutDown = true;
    }

    @Override
    public boolean ended() {
        return false;
    }

    final class FakeContainer implements Container {
        final ContainerRequest request;
        final FakeProcess init;
        final Map<String, FakeProcess> execs = new ConcurrentHashMap<>();
        boolean deleted;

        FakeContainer(ContainerRequest request) {
            this.request = request;
            this.init = new FakeProcess(request.io());
        }

        @Override
        public ContainerProcess init() {
            return init;
        }

        @Override
        public ContainerProcess exec(ExecRequest request) {
            FakeProcess exec = new FakeProcess(request.io());
            execs.put(request.execId(), exec);
            return exec;
        }

        @Override
        public List<ProcessPid> pids() {
            List<ProcessPid> pids = new ArrayList<>();
            pids.add(new ProcessPid(init.pid, Optional.empty()));
            execs.forEach((id, p) -> pids.add(new ProcessPid(p.pid, Optional.of(id))));
            return pids;
        }

        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }

        @Override
        public void update(Any resources, Map<String, String> annotations) {
        }

        @Override
        public Message stats() {
            return StringValue.of("stats of " + request.id());
        }

        @Override
        public void delete() {
            deleted = true;
        }
    }

    final class FakeProcess implements ContainerProcess {
        final ProcessIo io;
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        volatile int pid;
        volatile String lastWords = "";

        FakeProcess(ProcessIo io) {
            this.io = io;
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public int start() {
            pid = nextPid.getAndIncrement();
            return pid;
        }

        @Override
        public void kill(int signal, boolean all) {
            exit(128 + signal);
        }

        void exit(int status) {
            try {
                io.stdout().write(lastWords.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            exit.complete(status);
        }

        @Override
        public void resizePty(int width, int height) {
        }

        @Override
        public CompletionStage<Integer> exit() {
            return exit;
        }

        @Override
        public void delete() {
        }
    }
}
