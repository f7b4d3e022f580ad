package io.podvisor.shim.ttrpc;

/** A frame whose payload exceeded {@link Frame#MAX_PAYLOAD}; its payload was skipped. */
public record OversizedFrame(int streamId, byte type, long length) {
}
