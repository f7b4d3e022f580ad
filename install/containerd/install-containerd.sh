#!/bin/sh
# Installs containerd 1.7 for the tests: Debian trixie's containerd .deb on a bookworm host
# (its binaries need only libc; bookworm's runc is kept). Idempotent; silent when present.
set -eu

have_containerd() {
    command -v containerd >/dev/null 2>&1 || return 1
    version=$(containerd --version 2>/dev/null | awk '{print $3}' | sed 's/^v//')
    case "$version" in
        1.7.*|2.*) return 0 ;;
        *) return 1 ;;
    esac
}

if have_containerd && command -v ctr >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-containerd: containerd 1.7+ is missing and installing it needs root" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v runc >/dev/null 2>&1; then
    apt-get -q update >/dev/null
    apt-get -qy install runc >/dev/null
fi

work=$(mktemp -d /tmp/podvisor-trixie-apt.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/parts"
cat > "$work/trixie.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# A private apt view of trixie only: the host's own sources and state are left alone.
trixie_apt() {
    apt-get -q -o APT::Sandbox::User=root \
        -o Dir::Etc::SourceList=/dev/null \
        -o Dir::Etc::SourceParts="$work/parts" \
        -o Dir::State::Lists="$work/lists" \
        -o Dir::Cache::Archives="$work/archives" \
        -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" \
        "$@"
}
cp "$work/trixie.sources" "$work/parts/trixie.sources"
trixie_apt update >/dev/null
(cd "$work" && trixie_apt download containerd >/dev/null)
deb=$(ls "$work"/containerd_*.deb)
if ! apt-get -qy -o APT::Sandbox::User=root install --no-install-recommends "$deb" >"$work/install.log" 2>&1; then
    cat "$work/install.log" >&2
    exit 1
fi

if ! have_containerd; then
    echo "install-containerd: installed $deb but containerd --version says: $(containerd --version 2>&1)" >&2
    exit 1
fi
echo "install-containerd: $(containerd --version)"
