#!/usr/bin/env bash
# What a shim binary costs on this host, without containerd or a VM: for each of N pods, its `start` as
# containerd 2.3 runs it (BootstrapParams on stdin, the containerd version given, so nothing is asked) up to
# the reply, which comes once the pod's daemon listens; then a second container's `start` (the daemon alive: its
# address only); then, after 10 s idle, each daemon's RSS, PSS, private dirty memory and threads. Ends the daemons
# it started. Compares the JVM shim and the native one (install/native-shim.sh), as in
# docs/design/node-process.md:
#
#   install/shim-cost.sh [--pods N] SHIM...     e.g. install/shim-cost.sh install/containerd-shim-podvisor-v2 \
#                                                      shim/target/native/containerd-shim-podvisor-v2
set -euo pipefail

pods=3
while [ $# -gt 0 ]; do
    case "$1" in
        --pods) pods=${2:?--pods needs a number}; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "shim-cost: which shim binaries? (see --help)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/pvcost.XXXXXX)
daemons=()
cleanup() {
    [ ${#daemons[@]} -eq 0 ] || kill -TERM "${daemons[@]}" 2>/dev/null || true
    sleep 1
    [ ${#daemons[@]} -eq 0 ] || kill -KILL "${daemons[@]}" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# Protobuf, length-delimited fields only (each shorter than 128 bytes): field NUMBER < FILE.
field() {
    local size
    size=$(stat -c %s "$2")
    [ "$size" -lt 128 ] || { echo "shim-cost: field $1 too long" >&2; exit 1; }
    printf "\\x$(printf %02x $(($1 << 3 | 2)))\\x$(printf %02x "$size")"
    cat "$2"
}
text() { local f; f=$(mktemp "$tmp/field.XXXXXX"); printf '%s' "$2" >"$f"; field "$1" "$f"; }
# BootstrapParams: instance_id, namespace, containerd_version, ttrpc and gRPC addresses, binary, the options
# (runtimeoptions.v1.Options with config_path, as an Any) and socket_dir.
bootstrap() {
    local id=$1 opts any ext
    opts=$(mktemp "$tmp/opts.XXXXXX"); any=$(mktemp "$tmp/any.XXXXXX"); ext=$(mktemp "$tmp/ext.XXXXXX")
    text 2 "$tmp/podvisor.toml" >"$opts"
    { text 1 "type.googleapis.com/runtimeoptions.v1.Options"; field 2 "$opts"; } >"$any"
    field 1 "$any" >"$ext"
    text 1 "$id"; text 2 k8s.io; text 4 v2.1.9; text 5 "$tmp/c.sock.ttrpc"; text 6 "$tmp/c.sock"
    text 7 /usr/bin/containerd; field 8 "$ext"; text 9 "$tmp/s"
}
bundle() {  # bundle DIR POD TYPE
    mkdir -p "$1"
    printf '{"ociVersion": "1.1.0", "process": {"args": ["/pause"], "cwd": "/"}, "root": {"path": "rootfs"},
      "annotations": {"io.kubernetes.cri.container-type": "%s", "io.kubernetes.cri.sandbox-id": "%s"}}' "$3" "$2" \
        >"$1/config.json"
}
# start ID BUNDLE: prints "seconds address"
start() {
    local t0 t1 out
    bootstrap "$1" >"$tmp/stdin"
    t0=$(date +%s%N)
    out=$(cd "$2" && "$shim" -namespace k8s.io -address "$tmp/c.sock" -publish-binary /usr/bin/containerd -id "$1" \
        start <"$tmp/stdin" 2>&1) || { echo "shim-cost: start of $1 failed: $out" >&2; exit 1; }
    t1=$(date +%s%N)
    out=${out#*\"address\":\"unix://}
    echo "$(( (t1 - t0) / 1000000 )) ${out%%\"*}"
}
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/smaps_rollup"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

mkdir -p "$tmp/s"
printf 'image_dir = "%s/no-image"\nrun_dir = "%s/run"\n' "$tmp" "$tmp" >"$tmp/podvisor.toml"
for shim in "$@"; do
    shim=$(readlink -f "$shim")
    pod_ms=() container_ms=() started=()
    for i in $(seq 1 "$pods"); do
        pod=cost-$$-$i
        bundle "$tmp/$pod" "$pod" sandbox
        start "$pod" "$tmp/$pod" >"$tmp/started"
        read -r ms address <"$tmp/started"
        pod_ms+=("$ms")
        pid=$(pgrep -f -- "-socket $address\$" | head -n 1)
        daemons+=("$pid"); started+=("$pid")
        bundle "$tmp/$pod-c" "$pod" container
        start "$pod-c" "$tmp/$pod-c" >"$tmp/started"
        read -r ms again <"$tmp/started"
        [ "$again" = "$address" ] || { echo "shim-cost: the second container of $pod got $again, not $address" >&2; exit 1; }
        container_ms+=("$ms")
    done
    sleep 10
    rss=() pss=() dirty=() threads=()
    for pid in "${started[@]}"; do
        rss+=($(( $(kib "$pid" Rss) / 1024 ))); pss+=($(( $(kib "$pid" Pss) / 1024 )))
        dirty+=($(( $(kib "$pid" Private_Dirty) / 1024 ))); threads+=("$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")")
    done
    echo "$shim ($pods pods, load $(cut -d' ' -f1 /proc/loadavg)):"
    echo "  start, new pod (daemon listening):  median $(printf '%s\n' "${pod_ms[@]}" | median) ms  (${pod_ms[*]})"
    echo "  start, second container:            median $(printf '%s\n' "${container_ms[@]}" | median) ms  (${container_ms[*]})"
    echo "  daemon idle, MiB: RSS ${rss[*]}, PSS ${pss[*]}, private dirty ${dirty[*]}; threads ${threads[*]}"
    kill -TERM "${started[@]}" 2>/dev/null || true
    sleep 2
    kill -KILL "${started[@]}" 2>/dev/null || true
    daemons=()
done
