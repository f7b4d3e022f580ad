#!/usr/bin/env bash
# Installs the Debian packages Podvisor's build, guest image and tests need. Idempotent, root only.
set -euo pipefail
packages=(
  qemu-system-x86          # the VMM on hosts without Cloud Hypervisor (and in CI)
  qemu-system-common       # virtiofsd at /usr/lib/qemu/virtiofsd
  busybox-static           # guest initramfs userland
  crun                     # runs containers inside the guest
  erofs-utils              # the read-only runtime disk
  cpio lz4 xz-utils zstd binutils   # initramfs and kernel extraction
  util-linux               # setpriv, unshare, nsenter
  iproute2                 # netns, tap, tc
  iptables                 # the pod netns redirect for kubectl port-forward
  runc containernetworking-plugins  # containerd's default runtime and CNI, for tests
  gcc libc6-dev zlib1g-dev # GraalVM native images (rootfs-builder/native-image.sh): C helpers, linking
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "podvisor setup: installing ${missing[*]}" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  echo "podvisor setup: Java 25 is missing at /usr/lib/jvm/temurin-25-jdk-amd64" >&2
  exit 1
fi
