#!/usr/bin/env bash
# Builds containerd-shim-podvisor-v2 as a GraalVM native image (opt-in; the JVM shim stays the default): one
# small native process per pod instead of a JVM, whose `start` takes milliseconds (figures in
# docs/design/node-process.md, "The native shim, measured"). install/install.sh --native-shim installs it.
#
#   install/native-shim.sh [--jars DIR] [--out DIR] [--work DIR]
#
#   --jars DIR   the shim build: podvisor-shim-*.jar and lib/*.jar (default shim/target of this checkout, made by
#                `mvn -DskipTests package`)
#   --out DIR    where the image goes: DIR/containerd-shim-podvisor-v2 and the JDK libraries it loads, which stay
#                beside it (default DIR of --jars/native)
#   --work DIR   the image builder's cache (rootfs-builder/native-image.sh --work; default its own)
#
# Prints the image's path last. Nothing is rebuilt while the jars and the image builder are unchanged (their hash
# is kept in DIR/build.key). A build takes 5 to 15 minutes and about 3 GB of memory (rootfs-builder/native-image.sh
# says what it needs: gcc, zlib1g-dev, Maven for the builder's jars).
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
repo=$(cd "$here/.." && pwd)
jars=$repo/shim/target
out=
work=()

log() { echo "podvisor native-shim: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --jars) jars=${2:?--jars needs a directory}; shift 2 ;;
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --work) work=(--work "${2:?--work needs a directory}"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
builder=$repo/rootfs-builder/native-image.sh
[ -x "$builder" ] || die "no image builder at $builder: native-shim.sh runs from a source checkout"
shim_jars=("$jars"/podvisor-shim-*.jar)
if [ ! -f "${shim_jars[0]}" ] || ! compgen -G "$jars/lib/*.jar" >/dev/null; then
    die "no shim build in $jars (podvisor-shim-*.jar and lib/*.jar): run 'mvn -DskipTests package' in $repo, or pass --jars DIR"
fi
[ ${#shim_jars[@]} -eq 1 ] || die "several shim jars in $jars (${shim_jars[*]##*/}): rebuild with 'mvn clean package -DskipTests' in $repo"
out=${out:-$jars/native}
mkdir -p "$out"
out=$(cd "$out" && pwd)
image=$out/containerd-shim-podvisor-v2

key=$( { sha256sum "${shim_jars[0]}" "$jars"/lib/*.jar | awk '{print $1}'
         cd "$repo/rootfs-builder" && find native-image.sh native-image -type f | LC_ALL=C sort | xargs sha256sum; } \
       | sha256sum | cut -d' ' -f1)
if [ -x "$image" ] && [ "$(cat "$out/build.key" 2>/dev/null)" = "$key" ]; then
    log "up to date: $image"
    echo "$image"
    exit 0
fi

# The builder reads the jars for minutes: it gets its own copy, which a rebuild of shim/target meanwhile leaves alone.
staged=$(mktemp -d "${TMPDIR:-/tmp}/podvisor-native-shim.XXXXXX")
trap 'rm -rf "$staged"' EXIT
cp "${shim_jars[0]}" "$jars"/lib/*.jar "$staged/"
classpath=$(find "$staged" -name '*.jar' | LC_ALL=C sort | tr '\n' ':')
log "building the native shim from $jars (minutes)"
rm -f "$out/build.key"
"$builder" --cp "${classpath%:}" --main io.podvisor.shim.ShimMain --out "$image" ${work[@]+"${work[@]}"} >/dev/null \
    || die "the native image build failed (see above); the JVM shim (install/install.sh without --native-shim) still works"
echo "$key" >"$out/build.key"
echo "$image"
