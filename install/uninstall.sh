#!/usr/bin/env bash
# Removes what install/install.sh put on a node, as listed in its manifest
# (/var/lib/podvisor/install/manifest), and restores containerd's config byte for byte from the
# backup install.sh kept. If the config was changed since, only the podvisor import is taken out
# of it, and the script says so.
#
#   install/uninstall.sh [--prefix DIR] [--root DIR]
#
#   --prefix DIR   the prefix install.sh was given (default: the one its manifest names)
#   --root DIR     the root install.sh was given
#
# Also installed as <prefix>/lib/podvisor/uninstall.sh. Delete the pods that use the podvisor
# runtime first. It does not restart containerd: it says how.
set -euo pipefail

prefix=
root=
state_dir=/var/lib/podvisor/install

log() { echo "podvisor uninstall: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
host() { printf '%s%s' "$root" "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --root) root=${2:?--root needs a directory}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
if [ -n "$root" ]; then
    [ -d "$root" ] || die "--root $root is not a directory"
    root=$(cd "$root" && pwd)
    [ "$root" = / ] && root=
fi

manifest=$(host "$state_dir/manifest")
if [ ! -f "$manifest" ]; then
    echo "podvisor: nothing to uninstall${root:+ under $root}: there is no $state_dir/manifest"
    exit 0
fi
mapfile -t entries <"$manifest"
field() {  # field KIND N: field N of the first manifest line of that kind
    local line
    for line in "${entries[@]}"; do
        if [ "${line%%$'\t'*}" = "$1" ]; then cut -f "$2" <<<"$line"; return 0; fi
    done
    return 1
}
installed_prefix=$(field prefix 2 || true)
if [ -n "$prefix" ] && [ "${prefix%/}" != "${installed_prefix%/}" ]; then
    die "podvisor was installed with --prefix ${installed_prefix:-unknown}, not $prefix"
fi

# --- the warm pool: its VMs run the shim binary this removes ---
if [ -z "$root" ] && [ -x "${installed_prefix%/}/bin/podvisor" ]; then
    "${installed_prefix%/}/bin/podvisor" pool stop || log "could not stop the warm pool's VMs: see podvisor pool status"
fi

# --- containerd's config ---

# Takes our entry out of the top-level imports; the whole line when it holds nothing else.
remove_import() {
    awk -v entry="\"$1\"" '
        BEGIN { top = 1 }
        top && /^[ \t]*\[/ { top = 0 }
        top && !removed && !/^[ \t]*#/ && index($0, entry) {
            bare = $0; gsub(/[ \t]/, "", bare)
            if (bare == "imports=[" entry "]" || bare == entry || bare == entry "," || bare == "," entry) {
                removed = 1; next
            }
            p = index($0, entry)
            left = substr($0, 1, p - 1); right = substr($0, p + length(entry))
            trimmed = left; sub(/[ \t]+$/, "", trimmed)
            if (substr(trimmed, length(trimmed), 1) == ",") left = substr(trimmed, 1, length(trimmed) - 1)
            else sub(/^[ \t]*,[ \t]*/, "", right)
            print left right; removed = 1; next
        }
        { print }
        END { exit removed ? 0 : 3 }' "$2"
}

if cfg=$(field containerd 2); then
    cfg_sha=$(field containerd 3)
    cfg_host=$(host "$cfg")
    dropin=$(dirname "$cfg")/conf.d/podvisor.toml
    backup=$(host "$state_dir/containerd-config.orig")
    if [ ! -e "$cfg_host" ]; then
        log "$cfg is gone: nothing to restore"
    elif [ "$cfg_sha" != - ] && [ "$(sha "$cfg_host")" = "$cfg_sha" ] && [ -f "$backup" ]; then
        cp -p "$backup" "$cfg_host"
    elif [ "$cfg_sha" != - ] && [ "$(sha "$cfg_host")" = "$cfg_sha" ] && [ -f "$(host "$state_dir/containerd-config.absent")" ]; then
        rm -f "$cfg_host"
    else
        edited=$cfg_host.podvisor.$$
        if remove_import "$dropin" "$cfg_host" >"$edited"; then
            chmod --reference="$cfg_host" "$edited"
            chown --reference="$cfg_host" "$edited"
            mv "$edited" "$cfg_host"
            echo "podvisor: $cfg was changed since podvisor was installed: took only the import of $dropin out of it"
        else
            rm -f "$edited"
            echo "podvisor: $cfg was changed since podvisor was installed and no longer imports $dropin: left as it is"
        fi
    fi
fi

# --- files ---

for line in "${entries[@]}"; do
    IFS=$'\t' read -r kind path sum <<<"$line"
    case "$kind" in
        file) rm -f "$(host "$path")" ;;
        tree) rm -rf "$(host "$path")" ;;
        config)
            if [ ! -f "$(host "$path")" ]; then
                :
            elif [ "$(sha "$(host "$path")")" = "$sum" ]; then
                rm -f "$(host "$path")"
            else
                echo "podvisor: kept $path: it was changed since podvisor was installed"
            fi ;;
    esac
done
rm -rf "$(host "$state_dir")"
# Directories install.sh created, deepest first, where nothing else was put since.
for line in "${entries[@]}"; do
    IFS=$'\t' read -r kind path _ <<<"$line"
    if [ "$kind" = dir ]; then printf '%s\t%s\n' "${#path}" "$path"; fi
done | sort -rn | cut -f 2- | while IFS= read -r path; do
    if [ -d "$(host "$path")" ]; then rmdir --ignore-fail-on-non-empty "$(host "$path")"; fi
done

echo "podvisor: uninstalled${root:+ from under $root}"
echo "podvisor: containerd drops the runtime handler \"podvisor\" when it restarts: systemctl restart containerd"
