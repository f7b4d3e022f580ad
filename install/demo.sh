#!/usr/bin/env bash
# Demo: build what is missing, boot a throwaway VM and run commands in it through the guest agent.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

install/setup-host.sh
if ! ls shim/target/podvisor-shim-*.jar >/dev/null 2>&1; then
  echo "== building podvisor" >&2
  mvn -B -q -DskipTests install
fi
echo "== guest image" >&2
rootfs-builder/build.sh >/dev/null

echo "== host kernel:  $(uname -r)"
start=$(date +%s%N)
guest=$(install/podvisor vm run -- uname -r)
end=$(date +%s%N)
echo "== guest kernel: $guest   (VM boot + command: $(( (end - start) / 1000000 )) ms)"
echo "== exit codes come back:"
set +e
install/podvisor vm run -- sh -c 'echo "in the guest: $(cat /proc/cpuinfo | grep -c ^processor) vCPUs"; exit 7'
echo "   exit code $?"
