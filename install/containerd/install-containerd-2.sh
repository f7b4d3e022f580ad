#!/bin/sh
# Unpacks Debian sid's containerd 2.1.9 into a private directory for the tests (default
# /opt/podvisor-test/containerd-2.1.9; its usr/bin holds containerd, ctr and the runc shim). Nothing
# is installed over the system's containerd 1.7 and the host's apt sources and state are left alone.
# Idempotent; prints the directory's bin path.
set -eu

version=2.1.9
dir=${1:-/opt/podvisor-test/containerd-$version}
bin="$dir/usr/bin"

if [ -x "$bin/containerd" ] && "$bin/containerd" --version 2>/dev/null | grep -q " $version"; then
    echo "$bin"
    exit 0
fi
if [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$dir")" ]; then
    echo "install-containerd-2: containerd $version is missing in $dir and unpacking it there needs root" >&2
    exit 1
fi

work=$(mktemp -d /tmp/podvisor-sid-apt.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/parts"
cat > "$work/parts/sid.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# A private apt view of sid only.
sid_apt() {
    apt-get -q -o APT::Sandbox::User=root \
        -o Dir::Etc::SourceList=/dev/null \
        -o Dir::Etc::SourceParts="$work/parts" \
        -o Dir::State::Lists="$work/lists" \
        -o Dir::Cache::Archives="$work/archives" \
        -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" \
        "$@"
}
sid_apt update >/dev/null
# The version sid has now; the tests need the 2.1.9 they were written against.
(cd "$work" && sid_apt download "containerd=$version*" >/dev/null 2>"$work/download.log") || {
    echo "install-containerd-2: Debian sid no longer serves containerd $version:" >&2
    cat "$work/download.log" >&2
    echo "available: $(sid_apt policy containerd 2>/dev/null | sed -n 's/ *Candidate: //p')" >&2
    exit 1
}
deb=$(ls "$work"/containerd_*.deb)
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
dpkg -x "$deb" "$dir.tmp"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
if ! "$bin/containerd" --version | grep -q " $version"; then
    echo "install-containerd-2: unpacked $deb but $bin/containerd --version says: $("$bin/containerd" --version 2>&1)" >&2
    exit 1
fi
echo "$bin"
