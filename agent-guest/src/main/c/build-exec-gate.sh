#!/bin/sh
# Compiles exec-gate.c (freestanding x86-64, no libc) and writes the program into ExecGateProgram.java, which
# the agent writes out for each terminal exec. Run it after changing exec-gate.c and commit both files.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
gcc -Os -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector -fno-tree-loop-distribute-patterns -fno-ident \
    -fno-asynchronous-unwind-tables -fno-pie -no-pie -Wall -Wextra -Werror \
    -Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-z,noexecstack -s \
    -o "$out" "$here/exec-gate.c"
java_file="$here/../java/io/podvisor/agent/container/ExecGateProgram.java"
{
    cat <<'HEAD'
package io.podvisor.agent.container;

import java.util.Base64;

/** The gate program of {@link TerminalGate}, compiled from src/main/c/exec-gate.c by build-exec-gate.sh. */
final class ExecGateProgram {

    private static final String BASE64 = ""
HEAD
    base64 -w 96 "$out" | sed 's/.*/            + "&"/'
    cat <<'TAIL'
            ;

    private ExecGateProgram() {}

    static byte[] bytes() {
        return Base64.getDecoder().decode(BASE64);
    }
}
TAIL
} > "$java_file"
echo "$java_file: $(stat -c %s "$out") bytes"
