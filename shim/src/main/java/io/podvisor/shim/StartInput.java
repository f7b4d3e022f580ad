package io.podvisor.shim;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.podvisor.proto.containerd.runtime.bootstrap.v1.BootstrapParams;
import io.podvisor.proto.containerd.runtime.bootstrap.v1.Extension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What containerd writes on the stdin of {@code start}. containerd 2.3+ writes a {@link BootstrapParams}
 * (its version, addresses, the runtime options as an extension); 1.7 to 2.2 write the runtime options as a
 * bare {@link Any}, or nothing. As containerd's own shim library does, the bytes are read as
 * BootstrapParams first and as the options otherwise; since an options Any may also decode as
 * BootstrapParams (its type URL and value land in fields 1 and 2), BootstrapParams count only when their
 * instance id is the {@code -id} containerd passed.
 */
record StartInput(Optional<BootstrapParams> bootstrap, Optional<Any> options) {

    private static final int LIMIT = 10 << 20;

    static StartInput read(InputStream stdin, String id) throws ShimException {
        byte[] input;
        try {
            input = stdin.readNBytes(LIMIT + 1);
        } catch (IOException e) {
            throw new ShimException("cannot read start's stdin: " + e.getMessage(), e);
        }
        if (input.length > LIMIT) {
            throw new ShimException("start's stdin holds more than " + LIMIT + " bytes; containerd sends far less");
        }
        return parse(input, id);
    }

    static StartInput parse(byte[] input, String id) throws ShimException {
        if (input.length == 0) {
            return new StartInput(Optional.empty(), Optional.empty());
        }
        try {
            BootstrapParams params = BootstrapParams.parseFrom(input);
            if (!params.getInstanceId().isEmpty() && params.getInstanceId().equals(id)) {
                return new StartInput(Optional.of(params), params.getExtensionsList().stream()
                        .filter(Extension::hasValue).map(Extension::getValue).findFirst());
            }
        } catch (InvalidProtocolBufferException e) {
            // Not BootstrapParams: an options Any from containerd before 2.3.
        }
        try {
            return new StartInput(Optional.empty(), Optional.of(Any.parseFrom(input)));
        } catch (InvalidProtocolBufferException e) {
            throw new ShimException("start's stdin (" + input.length + " bytes) holds neither containerd's BootstrapParams "
                    + "nor runtime options: " + e.getMessage(), e);
        }
    }

    /** Where containerd 2.3+ wants the shim's socket, if it says. */
    Optional<Path> socketDir() {
        return bootstrap.filter(b -> b.hasSocketDir() && !b.getSocketDir().isEmpty()).map(b -> Path.of(b.getSocketDir()));
    }

    /**
     * The calling containerd's version: from BootstrapParams, else from its binary, else asked of containerd at
     * {@code grpcAddress}.
     */
    ContainerdVersion containerdVersion(String grpcAddress) throws ShimException {
        if (bootstrap.isPresent() && !bootstrap.get().getContainerdVersion().isEmpty()) {
            return ContainerdVersion.parse(bootstrap.get().getContainerdVersion(), "bootstrap parameters");
        }
        Optional<ContainerdVersion> fromBinary = ContainerdVersion.ofParentBinary();
        if (fromBinary.isPresent()) {
            return fromBinary.get();
        }
        String address = bootstrap.map(BootstrapParams::getContainerdGrpcAddress).filter(a -> !a.isEmpty())
                .orElse(grpcAddress);
        return ContainerdVersion.ask(address);
    }
}
