#!/bin/sh
# cri-tools' CRI validation suite (critest) against podvisor and runc, on a private containerd with local
# images (no registry). Builds critest and crictl from a cri-tools v1.36.0 source tree with a private Go 1.26
# (Debian sid's golang-1.26-go, unpacked; nothing is installed over the system), then runs critest in chunks
# (each a fresh private containerd, started by `install/podvisor critest run`) and prints the counts. The
# stand-in images' shell is the host release's busybox package (apt-get download, unpacked: apt needs its lists).
#
#   install/critest.sh [options] build      build critest and crictl only
#   install/critest.sh [options] run        build if needed, run every chunk for each handler, then summary
#   install/critest.sh [options] summary    the counts over the results so far
#
# options:
#   --source DIR        the cri-tools v1.36.0 source tree (or $CRI_TOOLS_SRC; default $work/cri-tools-1.36.0)
#   --work DIR          Go, the build cache and the binaries (or $PODVISOR_CRITEST_DIR; /var/cache/podvisor/critest)
#   --results DIR       where each chunk's report and log go (default $work/results)
#   --handler NAME      podvisor or runc; repeatable (default: runc, then podvisor)
#   --chunk REGEX       run only this --ginkgo.focus chunk instead of the default ones; repeatable
#   --lock FILE         hold `flock FILE` around each chunk (each boots VMs for several minutes)
#   --containerd V      1.7 (default) or 2.1 (install/containerd/install-containerd-2.sh)
set -eu

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
work=${PODVISOR_CRITEST_DIR:-/var/cache/podvisor/critest}
source_dir=${CRI_TOOLS_SRC:-}
results=
handlers=
chunks=
lock=
containerd=1.7
go_series=1.26
command=

while [ $# -gt 0 ]; do
    case "$1" in
        --source) source_dir=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --results) results=$2; shift 2 ;;
        --handler) handlers="$handlers $2"; shift 2 ;;
        --chunk) chunks="$chunks
$2"; shift 2 ;;
        --lock) lock=$2; shift 2 ;;
        --containerd) containerd=$2; shift 2 ;;
        build|run|summary) command=$1; shift ;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "critest.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$command" ] || { echo "critest.sh: say build, run or summary (see --help)" >&2; exit 2; }
source_dir=${source_dir:-$work/cri-tools-1.36.0}
results=${results:-$work/results}
handlers=${handlers:-runc podvisor}
# Chunks of a few minutes each under QEMU TCG (a podvisor pod takes ~10 s to start there).
chunks=${chunks:-"Runtime info|PodSandbox runtime|Idempotence|Container OOM|Container Mount
Container runtime
Security Context (NamespaceOption|NoNewPrivs|SeccompProfilePath|SupplementalGroupsPolicy)
Security Context (bucket|UserNamespaces)
Streaming|Networking|Multiple Containers|AppArmor"}
bin="$work/bin"
goroot="$work/go-$go_series/usr/lib/go-$go_series"

# Go 1.26 from Debian sid through a private apt view (the host's apt sources and state are left alone).
install_go() {
    if [ -x "$goroot/bin/go" ] && "$goroot/bin/go" version | grep -q "go$go_series"; then
        return
    fi
    apt_dir=$(mktemp -d /tmp/podvisor-critest-apt.XXXXXX)
    trap 'rm -rf "$apt_dir"' EXIT INT TERM
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/parts"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        > "$apt_dir/parts/sid.sources"
    sid_apt() {
        apt-get -q -o APT::Sandbox::User=root -o Dir::Etc::SourceList=/dev/null \
            -o Dir::Etc::SourceParts="$apt_dir/parts" -o Dir::State::Lists="$apt_dir/lists" \
            -o Dir::Cache::Archives="$apt_dir/archives" -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" "$@"
    }
    echo "critest.sh: fetching golang-$go_series-go from Debian sid into $work/go-$go_series" >&2
    sid_apt update >/dev/null
    (cd "$apt_dir" && sid_apt download "golang-$go_series-go" "golang-$go_series-src" >/dev/null 2>"$apt_dir/download.log") || {
        echo "critest.sh: Debian sid does not serve golang-$go_series-go:" >&2
        cat "$apt_dir/download.log" >&2
        exit 1
    }
    rm -rf "$work/go-$go_series.tmp"
    mkdir -p "$work/go-$go_series.tmp"
    for deb in "$apt_dir"/*.deb; do
        dpkg -x "$deb" "$work/go-$go_series.tmp"
    done
    rm -rf "$work/go-$go_series"
    mv "$work/go-$go_series.tmp" "$work/go-$go_series"
    rm -rf "$apt_dir"
    trap - EXIT INT TERM
    "$goroot/bin/go" version >&2
}

# Debian's dynamically linked busybox, unpacked under the work directory, for the stand-in images' /bin/sh: its
# shell execs the commands it finds in PATH, where busybox-static's runs its applets in-process (and so runs ls
# even where a container masks /bin/ls). apt-get download takes it from the host's package lists.
install_shell() {
    [ -x "$work/busybox/bin/busybox" ] && return
    deb_dir=$(mktemp -d /tmp/podvisor-critest-busybox.XXXXXX)
    trap 'rm -rf "$deb_dir"' EXIT INT TERM
    (cd "$deb_dir" && apt-get -q -o APT::Sandbox::User=root download busybox >/dev/null 2>"$deb_dir/download.log") || {
        echo "critest.sh: apt-get download busybox failed; it needs apt's package lists (run apt-get update):" >&2
        cat "$deb_dir/download.log" >&2
        exit 1
    }
    rm -rf "$work/busybox.tmp"
    dpkg -x "$deb_dir"/busybox_*.deb "$work/busybox.tmp"
    rm -rf "$work/busybox"
    mv "$work/busybox.tmp" "$work/busybox"
    rm -rf "$deb_dir"
    trap - EXIT INT TERM
    echo "critest.sh: Debian's busybox unpacked into $work/busybox" >&2
}

# critest and crictl from the source tree; rebuilt when its Go files, go.mod or vendor/ change.
build() {
    if [ ! -f "$source_dir/go.mod" ] || ! grep -q '^module sigs.k8s.io/cri-tools' "$source_dir/go.mod" \
            || [ ! -d "$source_dir/vendor" ] || [ ! -d "$source_dir/cmd/critest" ]; then
        cat >&2 <<MISSING
critest.sh: no cri-tools source tree (with vendor/) in $source_dir.
  Get kubernetes-sigs/cri-tools at tag v1.36.0 on a machine that can reach GitHub, for example
    git clone --depth 1 --branch v1.36.0 <cri-tools repository> cri-tools-1.36.0
  (or: git archive v1.36.0 from a mirror of it), copy it here, and pass --source DIR or CRI_TOOLS_SRC=DIR.
MISSING
        exit 1
    fi
    mkdir -p "$bin"
    stamp=$(cd "$source_dir" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name modules.txt \) \
        -printf '%P %s %T@\n' | sort | sha256sum | cut -c1-16)
    if [ -x "$bin/critest" ] && [ -x "$bin/crictl" ] && [ "$(cat "$bin/source.stamp" 2>/dev/null)" = "$source_dir $stamp" ]; then
        return
    fi
    install_go
    echo "critest.sh: building critest and crictl from $source_dir (a few minutes)" >&2
    (
        cd "$source_dir"
        export GOROOT="$goroot" PATH="$goroot/bin:$PATH" GOCACHE="$work/go-cache" GOPATH="$work/go-path" \
            GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0
        nice -n 10 go test -c -mod=vendor -trimpath -o "$bin/critest" ./cmd/critest
        nice -n 10 go build -mod=vendor -trimpath -o "$bin/crictl" ./cmd/crictl
    )
    echo "$source_dir $stamp" > "$bin/source.stamp"
    echo "critest.sh: built $bin/critest and $bin/crictl" >&2
}

podvisor_critest() {
    "$repo/install/podvisor" critest "$@" --results "$results" \
        --skip-list "$repo/install/critest/skip-all.txt" --skip-list "podvisor=$repo/install/critest/skip-podvisor.txt"
}

case "$command" in
    build) build ;;
    summary) podvisor_critest summary ;;
    run)
        build
        install_shell
        [ "$containerd" = 1.7 ] || "$repo/install/containerd/install-containerd-2.sh" >/dev/null
        for handler in $handlers; do
            echo "$chunks" | while IFS= read -r chunk; do
                [ -n "$chunk" ] || continue
                echo "critest.sh: handler $handler, chunk '$chunk'" >&2
                # A chunk with failing specs is reported, not fatal: the summary counts it.
                ${lock:+flock "$lock"} "$repo/install/podvisor" critest run --critest "$bin/critest" --handler "$handler" \
                    --shell "$work/busybox/bin/busybox" --containerd "$containerd" --focus "$chunk" --results "$results" \
                    --skip-list "$repo/install/critest/skip-all.txt" \
                    --skip-list "podvisor=$repo/install/critest/skip-podvisor.txt" \
                    || echo "critest.sh: chunk '$chunk' with $handler could not run (see $results)" >&2
            done
        done
        podvisor_critest summary
        ;;
esac
