package io.podvisor.shim.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.podvisor.shim.io.ProcessIo;

/** An additional process to create in a container: its exec id, its OCI process spec and its stdio. */
public record ExecRequest(String execId, JsonNode processSpec, ProcessIo io) {
}
