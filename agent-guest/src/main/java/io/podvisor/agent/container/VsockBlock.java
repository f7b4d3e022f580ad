package io.podvisor.agent.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Keeps a container off AF_VSOCK, the agent's channel to the host: vsock sockets belong to no network namespace,
 * so the container's seccomp filter refuses to make one (EPERM). A spec without a filter gets one that allows
 * everything else; a spec with one (a pod's RuntimeDefault or Localhost profile) gets the rule added to it.
 * 32-bit x86 programs that make sockets through socketcall(2) are not covered by the rule.
 */
final class VsockBlock {
    static final int AF_VSOCK = 40;
    private static final int EPERM = 1;

    private VsockBlock() {}

    static void apply(ObjectNode linux) throws InvalidSpecException {
        JsonNode existing = linux.get("seccomp");
        ObjectNode seccomp;
        if (existing == null || existing.isNull()) {
            seccomp = linux.putObject("seccomp").put("defaultAction", "SCMP_ACT_ALLOW");
            seccomp.putArray("architectures").add("SCMP_ARCH_X86_64").add("SCMP_ARCH_X86").add("SCMP_ARCH_X32");
        } else if (existing instanceof ObjectNode object) {
            seccomp = object;
        } else {
            throw new InvalidSpecException("linux.seccomp must be an object, not " + existing.getNodeType());
        }
        JsonNode syscalls = seccomp.get("syscalls");
        if (syscalls != null && !syscalls.isArray() && !syscalls.isNull()) {
            throw new InvalidSpecException("linux.seccomp.syscalls must be an array");
        }
        ArrayNode rules = syscalls instanceof ArrayNode array ? array : seccomp.putArray("syscalls");
        ObjectNode rule = rules.addObject();
        rule.putArray("names").add("socket");
        rule.put("action", "SCMP_ACT_ERRNO").put("errnoRet", EPERM);
        rule.putArray("args").addObject().put("index", 0).put("value", AF_VSOCK).put("op", "SCMP_CMP_EQ");
    }
}
