#!/usr/bin/env bash
# Demo: a pod with runtime handler "podvisor" through containerd's CRI (the calls kubelet makes), on a
# private containerd, then the same pod with runc. Builds and installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

install/setup-host.sh
install/containerd/install-containerd.sh
if ! ls shim/target/podvisor-shim-*.jar integration-tests/target/podvisor-integration-tests-*.jar >/dev/null 2>&1; then
  echo "== building podvisor" >&2
  mvn -B -q -DskipTests install
fi
echo "== guest image" >&2
rootfs-builder/build.sh >/dev/null
exec install/podvisor demo
