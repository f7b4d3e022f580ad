#!/bin/bash
# Builds the Podvisor guest image from Debian packages and the guest agent:
#
#   rootfs-builder/build.sh [--cache DIR] [--agent DIR] [--jvm-agent-only]
#
#   --cache DIR   image cache (default /var/cache/podvisor/images); the image goes to DIR/<input hash>/
#                 and DIR/current points at it
#   --agent DIR   the agent directory `mvn package` makes: agent.jar + lib/ (default
#                 agent-guest/target/agent next to this script)
#   --jvm-agent-only  skip the agent's GraalVM native image (native-image.sh, ~5 min, 2-3 GB), which init
#                 otherwise starts instead of the JVM agent (kernel argument podvisor.agent=jvm picks the JVM one)
#
# Output directory: vmlinux (uncompressed, PVH entry), initramfs.cpio (busybox, modules, init),
# runtime.erofs (read-only disk mounted at /opt/podvisor: jlinked Java, agent jars, AOT cache, the agent
# as a native image, crun, glibc; padded to whole 2 MiB pages so that it can be mapped as pmem), image.json. The directory name is a hash of every input, so unchanged inputs rebuild
# nothing, and a rebuild writes the same bytes. Progress goes to stderr; the last stdout line is the
# output directory.
#
# Runs as root (unshare -m for the AOT training run). Debian packages it installs when missing:
#   busybox-static crun erofs-utils cpio lz4 util-linux dpkg apt
# and it needs a JDK 25 ($JAVA_HOME, default /usr/lib/jvm/temurin-25-jdk-amd64).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=/var/cache/podvisor/images
AGENT_DIR=$HERE/../agent-guest/target/agent
NATIVE_AGENT=true
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
# Fixed time for every file in the image (2026-01-01T00:00:00Z, as the Maven build's outputTimestamp).
export SOURCE_DATE_EPOCH=1767225600
# erofs filesystem UUID: fixed so that equal inputs give equal bytes.
EROFS_UUID=6f1c3a52-9d0e-4b7a-8c21-5e4f9a0b7d13
KERNEL_METAPACKAGE=linux-image-cloud-amd64
# Kernel modules for the guest's devices and its runtime disk. init loads, with busybox modprobe, the virtio
# transport (virtio_pci for Cloud Hypervisor's and QEMU q35's virtio-pci devices, virtio_mmio for QEMU microvm),
# then the driver of each virtio device the VM has (by modalias), nd_pmem when the runtime disk is pmem, and
# erofs. Namespaces, cgroups, seccomp and BPF, what crun needs, are built into the Debian kernel.
# virtio_balloon reports the pages the guest frees, so the host can take them back.
MODULES="virtio_mmio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk erofs vsock
vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport fuse virtiofs virtio_net virtio_balloon
virtio_pmem nd_pmem"
# Modules in the initramfs that the kernel loads on first use (through busybox modprobe and modules.alias):
# overlay when a container mounts an overlay filesystem, bridge when a privileged container creates a bridge.
ON_DEMAND_MODULES="overlay bridge"
# Java modules the agent uses (jdeps on the agent's jars, minus optional paths it never takes).
JAVA_MODULES=java.base,java.logging,jdk.unsupported,java.naming
# JVM options in the guest (written to /opt/podvisor/agent/jvm.args; the AOT training run uses the same,
# then -XX:AOTCache is added for the guest). Measured under TCG: C1 only, compiling 10x later than the
# default (start-up code runs once; the JIT's memory and time go to the hot paths), and Unsafe allowed, so
# Netty does not link malloc/free through FFM at start-up (about 70 classes spun at run time).
JVM_ARGS=(
    -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:CompileThresholdScaling=10 -XX:+UseSerialGC
    -Xss256k -Xms4m -Xmx48m -XX:MaxMetaspaceSize=48m -XX:ReservedCodeCacheSize=12m
    -XX:-UsePerfData -XX:+DisableAttachMechanism
    --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
    -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1
    -Djava.io.tmpdir=/tmp
    -Dio.netty.machineId=02:00:00:00:00:01
    -cp /opt/podvisor/agent/agent.jar
)
# Runtime options of the agent's native image (/opt/podvisor/agent/native.args), as JVM_ARGS for the JVM, plus a
# small young generation and unpooled buffers (gRPC's own allocator keeps 2 MiB chunks): anonymous memory after
# a first call 6.1 MiB instead of 9.3 MiB.
NATIVE_ARGS=(
    -Xmx48m -Xmn4m -Dio.grpc.netty.useCustomAllocator=false -Dio.netty.allocator.type=unpooled
    -Dio.netty.allocator.numDirectArenas=1 -Dio.netty.allocator.numHeapArenas=1
    -Djava.io.tmpdir=/tmp -Dio.netty.machineId=02:00:00:00:00:01
)
# Added for the guest only. Mapping the cache where it was built (no relocation) spares touching, and
# copying, all of its pages at start-up: much faster under TCG, and a smaller RSS.
AOT_ARGS=(-XX:AOTCache=/opt/podvisor/agent.aot -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0)

log() { echo "rootfs-builder: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --cache) CACHE=${2:?--cache needs a directory}; shift 2 ;;
        --agent) AGENT_DIR=${2:?--agent needs a directory}; shift 2 ;;
        --jvm-agent-only) NATIVE_AGENT=false; shift ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done

[ "$(id -u)" = 0 ] || die "run as root (apt-get, mounts in a private namespace)"
[ -x "$JAVA_HOME/bin/jlink" ] || die "no JDK 25 at $JAVA_HOME: install one or set JAVA_HOME"
[ -f "$AGENT_DIR/agent.jar" ] || die "no agent at $AGENT_DIR/agent.jar: build it with 'mvn -pl agent-guest -am package' or pass --agent DIR"
AGENT_DIR=$(cd "$AGENT_DIR" && pwd)

ensure_packages() {
    local missing=() pair
    for pair in busybox-static:/bin/busybox crun:/usr/bin/crun erofs-utils:/usr/bin/mkfs.erofs cpio:/usr/bin/cpio \
        lz4:/usr/bin/lz4 util-linux:/usr/bin/unshare dpkg:/usr/bin/dpkg-deb apt:/usr/bin/apt-get; do
        [ -x "${pair#*:}" ] || missing+=("${pair%%:*}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    fi
}

# The real kernel package behind the metapackage, with its version and .deb checksum from apt.
resolve_kernel() {
    KERNEL_PACKAGE=$(apt-cache depends "$KERNEL_METAPACKAGE" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    if [ -z "$KERNEL_PACKAGE" ]; then
        log "apt knows no $KERNEL_METAPACKAGE yet: apt-get update"
        apt-get update -qq >&2
        KERNEL_PACKAGE=$(apt-cache depends "$KERNEL_METAPACKAGE" | awk '/Depends: linux-image-/ {print $2; exit}')
    fi
    [ -n "$KERNEL_PACKAGE" ] || die "cannot resolve $KERNEL_METAPACKAGE with apt-cache depends"
    local show
    show=$(apt-cache show --no-all-versions "$KERNEL_PACKAGE")
    KERNEL_VERSION=$(awk '/^Version:/ {print $2; exit}' <<<"$show")
    KERNEL_SHA256=$(awk '/^SHA256:/ {print $2; exit}' <<<"$show")
    KERNEL_RELEASE=${KERNEL_PACKAGE#linux-image-}
}

# Host libraries a binary loads (resolved paths), for the runtime disk.
shared_libs() {
    ldd "$@" | awk '/=> \// {print $3} /^\t\/lib64\// {print $1}' | sort -u
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

ensure_packages
resolve_kernel
CRUN=$(command -v crun)
JAVA_LIBS=$(shared_libs "$JAVA_HOME/bin/java" "$JAVA_HOME/lib/libjli.so" "$JAVA_HOME/lib/server/libjvm.so" \
    "$JAVA_HOME/lib/libnet.so" "$JAVA_HOME/lib/libnio.so" "$JAVA_HOME/lib/libzip.so" "$JAVA_HOME/lib/libjava.so")
# glibc pieces loaded by name at run time (dlopen), which ldd does not list.
GLIBC_DIR=$(dirname "$(ldd /bin/sh | awk '/libc.so.6/ {print $3}')")
HOST_LIBS=$( { shared_libs "$CRUN"; echo "$JAVA_LIBS"; ls "$GLIBC_DIR"/{libdl,libpthread,librt,libm}.so.* 2>/dev/null; } \
    | xargs -n1 realpath -s | grep -v "^$JAVA_HOME/" | sort -u)

# Every input, one line each; the output directory is named by their hash.
inputs() {
    echo "builder $(sha "$HERE/build.sh")"
    echo "init $(sha "$HERE/init")"
    echo "kernel $KERNEL_PACKAGE $KERNEL_VERSION $KERNEL_SHA256"
    echo "busybox $(sha /bin/busybox)"
    echo "crun $(sha "$CRUN")"
    local f
    for f in $HOST_LIBS; do echo "lib $f $(sha "$f")"; done
    # The release file names the exact JDK build; libjvm's checksum catches a patched one.
    echo "jdk $(sha "$JAVA_HOME/release") $(sha "$JAVA_HOME/lib/server/libjvm.so")"
    (cd "$AGENT_DIR" && find . -name '*.jar' | LC_ALL=C sort | while read -r f; do echo "agent $f $(sha "$f")"; done)
    if [ "$NATIVE_AGENT" = true ]; then
        (cd "$HERE" && find native-image.sh native-image -type f | LC_ALL=C sort | while read -r f; do
            echo "native $f $(sha "$f")"; done)
    fi
}
INPUTS=$(inputs)
HASH=$(sha256sum <<<"$INPUTS" | cut -c1-16)
OUT=$CACHE/$HASH

if [ -f "$OUT/image.json" ]; then
    log "inputs unchanged: $OUT"
    ln -sfn "$HASH" "$CACHE/current"
    echo "$OUT"
    exit 0
fi

mkdir -p "$CACHE/downloads"
WORK=$(mktemp -d "$CACHE/.build-$HASH.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
log "building $OUT (work dir $WORK)"

# --- kernel: download, unpack, and extract the ELF from the bzImage ---------------------------
DEB=$CACHE/downloads/${KERNEL_PACKAGE}_${KERNEL_VERSION//:/%3a}_amd64.deb
if [ ! -f "$DEB" ] || [ "$(sha "$DEB")" != "$KERNEL_SHA256" ]; then
    log "downloading $KERNEL_PACKAGE $KERNEL_VERSION"
    (cd "$CACHE/downloads" && apt-get download -qq "$KERNEL_PACKAGE=$KERNEL_VERSION" >&2)
    DEB=$(ls "$CACHE/downloads/${KERNEL_PACKAGE}_"*"_amd64.deb" | head -n1)
    [ "$(sha "$DEB")" = "$KERNEL_SHA256" ] || die "$DEB does not match apt's SHA256 $KERNEL_SHA256"
fi
mkdir -p "$WORK/kernel"
dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$WORK/kernel" --wildcards './boot/vmlinuz-*' "./lib/modules/$KERNEL_RELEASE/*"
BZIMAGE=$WORK/kernel/boot/vmlinuz-$KERNEL_RELEASE
[ -f "$BZIMAGE" ] || die "$DEB has no /boot/vmlinuz-$KERNEL_RELEASE"

le() { od -An -t "u$2" -j "$1" -N "$2" "$BZIMAGE" | tr -d ' '; }
setup_sects=$(le $((0x1f1)) 1)
[ "$setup_sects" = 0 ] && setup_sects=4
payload_offset=$(le $((0x248)) 4)
payload_length=$(le $((0x24c)) 4)
payload_start=$(( (setup_sects + 1) * 512 + payload_offset ))
magic=$(od -An -tx1 -j "$payload_start" -N4 "$BZIMAGE" | tr -d ' ')
[ "$magic" = 02214c18 ] || die "the kernel payload is not LZ4 legacy-framed (magic $magic): teach build.sh its compression"
# The payload ends with the decompressed size, which lz4 reads as a stray frame: the ELF is complete anyway.
tail -c +$((payload_start + 1)) "$BZIMAGE" | head -c "$payload_length" | lz4 -dc >"$WORK/vmlinux" 2>/dev/null || true
[ "$(head -c4 "$WORK/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || die "lz4 did not yield an ELF kernel"
grep -qa "Linux version $KERNEL_RELEASE " "$WORK/vmlinux" || die "vmlinux is not release $KERNEL_RELEASE"
log "vmlinux $(du -h "$WORK/vmlinux" | cut -f1) from $KERNEL_PACKAGE $KERNEL_VERSION"

# --- initramfs: busybox, init, modules ----------------------------------------------------------
ROOT=$WORK/initramfs
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,opt/podvisor,lib/modules,sysroot}
cp /bin/busybox "$ROOT/bin/busybox"
for applet in $(/bin/busybox --list-full); do
    [ -e "$ROOT/$applet" ] || ln -s /bin/busybox "$ROOT/$applet"
done
install -m 0755 "$HERE/init" "$ROOT/init"
# The dynamic binaries (java, crun) live on the runtime disk and use its copy of the host's glibc.
ln -s /opt/podvisor/lib/x86_64-linux-gnu "$ROOT/lib64"
ln -s /opt/podvisor/lib/x86_64-linux-gnu "$ROOT/lib/x86_64-linux-gnu"
mkdir -p "$ROOT/usr/lib"
ln -s /opt/podvisor/lib/x86_64-linux-gnu "$ROOT/usr/lib/x86_64-linux-gnu"
ln -sf /opt/podvisor/bin/crun "$ROOT/usr/bin/crun"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$ROOT/etc/group"
mknod -m 600 "$ROOT/dev/console" c 5 1

KMODS=$WORK/kernel/lib/modules/$KERNEL_RELEASE
/bin/busybox depmod -b "$WORK/kernel" "$KERNEL_RELEASE"
declare -A module_path=() loaded=()
while IFS=: read -r path _; do
    name=$(basename "${path%.ko*}"); module_path[${name//-/_}]=$path
done <"$KMODS/modules.dep"
deps_of() { awk -F': ' -v m="$1" '$1 == m {print $2}' "$KMODS/modules.dep"; }
ORDER=()
visit() {
    local path=$1 dep
    [ -n "${loaded[$path]:-}" ] && return
    loaded[$path]=1
    for dep in $(deps_of "$path"); do visit "$dep"; done
    ORDER+=("$path")
}
add_module() {
    [ -n "${module_path[$1]:-}" ] || die "kernel $KERNEL_RELEASE has no module $1 (built in? then drop it from the module lists)"
    visit "${module_path[$1]}"
}
for m in $MODULES; do add_module "$m"; done
BOOT_MODULES=${#ORDER[@]}
for m in $ON_DEMAND_MODULES; do add_module "$m"; done
IMODS=$ROOT/lib/modules/$KERNEL_RELEASE
# busybox insmod takes plain .ko files: newer Debian kernels compress their modules.
for i in "${!ORDER[@]}"; do
    path=${ORDER[$i]}
    mkdir -p "$IMODS/$(dirname "$path")"
    case "$path" in
        *.ko) cp "$KMODS/$path" "$IMODS/$path" ;;
        *.ko.xz) xz -dc "$KMODS/$path" >"$IMODS/${path%.xz}" ;;
        *.ko.zst) zstd -qdc "$KMODS/$path" >"$IMODS/${path%.zst}" ;;
        *.ko.gz) gzip -dc "$KMODS/$path" >"$IMODS/${path%.gz}" ;;
        *) die "module $path has an unknown compression" ;;
    esac
done
cp "$KMODS/modules.builtin" "$KMODS/modules.order" "$IMODS/"
/bin/busybox depmod -b "$ROOT" "$KERNEL_RELEASE"
log "initramfs modules: ${#ORDER[@]} ($(for p in "${ORDER[@]}"; do basename "${p%.ko*}"; done | tr '\n' ' ')), $BOOT_MODULES for devices and the runtime disk"

# --- runtime disk: jlinked Java, agent, crun, glibc, AOT cache --------------------------------
STAGE=$WORK/runtime
mkdir -p "$STAGE"/{bin,lib/x86_64-linux-gnu,agent}
log "jlink $JAVA_MODULES"
"$JAVA_HOME/bin/jlink" --add-modules "$JAVA_MODULES" --strip-debug --no-header-files --no-man-pages \
    --output "$STAGE/java"
rm -f "$STAGE/java/lib/server/classes.jsa" "$STAGE/java/lib/server/classes_nocoops.jsa"
cp "$CRUN" "$STAGE/bin/crun"
for lib in $HOST_LIBS; do cp -L "$lib" "$STAGE/lib/x86_64-linux-gnu/$(basename "$lib")"; done
cp "$AGENT_DIR/agent.jar" "$STAGE/agent/"
cp -r "$AGENT_DIR/lib" "$STAGE/agent/lib"
printf '%s\n' "${JVM_ARGS[@]}" >"$STAGE/agent/jvm.args"
AGENT_VERSION=$(/bin/busybox unzip -p "$STAGE/agent/agent.jar" META-INF/MANIFEST.MF | tr -d '\r' \
    | awk -F': ' '$1 == "Implementation-Version" {print $2}')
[ -n "$AGENT_VERSION" ] || die "agent.jar has no Implementation-Version in its manifest"

# The AOT cache records the paths and times of the runtime and the jars: fix the times now and train
# with the staging directory mounted where the guest mounts the disk.
find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
log "AOT training run (agent $AGENT_VERSION)"
# AotTraining (in the host JDK) starts the agent, drives every RPC, shuts it down; the agent JVM writes the cache.
unshare -m --propagation private /bin/sh -ec '
    mount -t tmpfs -o mode=755 podvisor-aot /opt
    mkdir /opt/podvisor
    mount --bind "$1" /opt/podvisor
    cd /tmp
    "$2/bin/java" --enable-native-access=ALL-UNNAMED -cp /opt/podvisor/agent/agent.jar io.podvisor.agent.AotTraining \
        /opt/podvisor/java/bin/java @/opt/podvisor/agent/jvm.args -XX:AOTCacheOutput=/opt/podvisor/agent.aot \
        -Xlog:aot=warning,cds=warning io.podvisor.agent.AgentMain
' aot-training "$STAGE" "$JAVA_HOME" >&2 || die "AOT training run failed"
[ -s "$STAGE/agent.aot" ] || die "the training run wrote no AOT cache"
printf '%s\n' "${AOT_ARGS[@]}" >>"$STAGE/agent/jvm.args"
JVM_ARGS+=("${AOT_ARGS[@]}")
find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
if [ "$NATIVE_AGENT" = true ]; then
    # agent/native/ holds the image and the JDK libraries it loads: it does not use the jlinked runtime.
    # The image is kept by its own inputs (agent jars, JDK, native-image scripts), so a change elsewhere
    # (init, kernel) does not rebuild it.
    NATIVE_KEY=$(grep -E '^(agent|jdk|native) ' <<<"$INPUTS" | sha256sum | cut -c1-16)
    NATIVE_CACHE=$CACHE/native-agent/$NATIVE_KEY
    if [ -x "$NATIVE_CACHE/podvisor-agent" ]; then
        log "native image of the agent: inputs unchanged, from $NATIVE_CACHE"
        mkdir -p "$STAGE/agent/native"
        cp -a "$NATIVE_CACHE/." "$STAGE/agent/native/"
    else
        log "native image of the agent (minutes)"
        AGENT_CP=$(find "$AGENT_DIR/agent.jar" "$AGENT_DIR/lib" -name '*.jar' | LC_ALL=C sort | tr '\n' ':')
        "$HERE/native-image.sh" --cp "$AGENT_CP" --main io.podvisor.agent.AgentMain \
            --out "$STAGE/agent/native/podvisor-agent" >&2 \
            || die "the agent's native image failed (rootfs-builder/native-image.sh; or build with --jvm-agent-only)"
        # Every RPC against the image, with its monotonic clock set back to a second after boot as in a
        # fresh guest (a clock read while the image was built must not leak into it): the image misses
        # nothing the calls need, or the build stops here.
        log "native agent: every RPC, clock as in a fresh guest"
        up=$(cut -d. -f1 /proc/uptime)
        (cd /tmp && "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$AGENT_CP" \
            io.podvisor.agent.AotTraining unshare --time --fork --kill-child --monotonic=-$((up > 2 ? up - 1 : 0)) \
            "$STAGE/agent/native/podvisor-agent" "${NATIVE_ARGS[@]}") >&2 \
            || die "the agent's native image failed its check (every RPC, as in a fresh guest): see above"
        mkdir -p "$CACHE/native-agent"
        rm -rf "$NATIVE_CACHE.tmp"
        cp -a "$STAGE/agent/native" "$NATIVE_CACHE.tmp" && mv -T "$NATIVE_CACHE.tmp" "$NATIVE_CACHE"
    fi
    printf '%s\n' "${NATIVE_ARGS[@]}" >"$STAGE/agent/native.args"
    find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
fi
log "runtime staged: $(du -sh "$STAGE" | cut -f1) (java $(du -sh "$STAGE/java" | cut -f1), AOT cache $(du -h "$STAGE/agent.aot" | cut -f1))"

# noinline_data: erofs maps only files whose data sit in whole blocks with DAX; a file whose tail is packed
# beside its inode (mkfs.erofs's default) is read through the guest's page cache instead, into guest RAM.
mkfs.erofs --quiet --all-root -x-1 -E noinline_data -T"$SOURCE_DATE_EPOCH" -U "$EROFS_UUID" \
    "$WORK/runtime.erofs" "$STAGE" >&2
# A pmem device maps whole 2 MiB pages: zeros past the file system's end are never read.
PMEM_PAGE=$((2 * 1024 * 1024))
truncate -s $(( ($(stat -c %s "$WORK/runtime.erofs") + PMEM_PAGE - 1) / PMEM_PAGE * PMEM_PAGE )) "$WORK/runtime.erofs"
find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) >"$WORK/initramfs.cpio"
log "initramfs.cpio $(du -h "$WORK/initramfs.cpio" | cut -f1), runtime.erofs $(du -h "$WORK/runtime.erofs" | cut -f1)"

{
    printf '{\n  "agentVersion": "%s",\n  "kernelRelease": "%s",\n  "kernelPackage": "%s %s",\n' \
        "$AGENT_VERSION" "$KERNEL_RELEASE" "$KERNEL_PACKAGE" "$KERNEL_VERSION"
    printf '  "jvmArgs": "%s",\n  "nativeAgent": %s,\n' "${JVM_ARGS[*]}" "$NATIVE_AGENT"
    printf '  "inputsHash": "%s",\n  "inputs": [\n' "$HASH"
    sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/    "&"/; $!s/$/,/' <<<"$INPUTS"
    printf '  ]\n}\n'
} >"$WORK/image.json"

rm -rf "$OUT" "$OUT.tmp"
mkdir -p "$OUT.tmp"
mv "$WORK/vmlinux" "$WORK/initramfs.cpio" "$WORK/runtime.erofs" "$WORK/image.json" "$OUT.tmp/"
mv "$OUT.tmp" "$OUT"
ln -sfn "$HASH" "$CACHE/current"
log "done: $OUT"
echo "$OUT"
