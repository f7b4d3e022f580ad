#!/usr/bin/env bash
# The test command: installs what the tests need, builds the project and the guest image,
# then runs every unit and integration test (real QEMU VMs, real containerd 1.7 and 2.1).
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
export PATH="$JAVA_HOME/bin:$PATH"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

install/setup-host.sh
if [ -x install/containerd/install-containerd.sh ]; then
  install/containerd/install-containerd.sh
fi
# The integration tests run on containerd 1.7 (the system's) and 2.1.9 (Debian sid's, unpacked privately).
containerd2_bin=$(install/containerd/install-containerd-2.sh)
echo "containerd 2: $containerd2_bin" >&2
echo "== build" >&2
mvn -B -q -DskipTests install
install/aot-cache.sh >/dev/null
echo "== guest image" >&2
image_dir=$(rootfs-builder/build.sh | tail -n 1)
echo "guest image: $image_dir" >&2
# The CRI tests run the shim install.sh installs by default, its native image (kept between runs while the jars and
# the image builder are the same); the ctr tests run the JVM shim (install/containerd-shim-podvisor-v2, --jvm-shim).
echo "== native shim" >&2
native_shim=$(install/native-shim.sh --out /var/cache/podvisor/native-shim | tail -n 1)
echo "native shim: $native_shim" >&2
echo "== tests" >&2
mvn -B test -Dpodvisor.shimDir="$(dirname "$native_shim")"
