#!/usr/bin/env bash
# Installs Podvisor on a node: the shim and the podvisor CLI with their jars, the guest image,
# /etc/podvisor/config.toml, and containerd's registration of the CRI runtime handler "podvisor".
#
#   install/install.sh [--prefix DIR] [--root DIR] [--containerd-config FILE] [--containerd-version V]
#                      [--image-dir DIR] [--jars DIR] [--native-shim-from DIR | --jvm-shim]
#
#   --prefix DIR              bin/ and lib/podvisor/ go under DIR (default /usr/local)
#   --root DIR                write everything under DIR (a test's or image builder's root, /host in the
#                             DaemonSet); the files written still name the node's paths, without DIR
#   --containerd-config FILE  containerd's config (default /etc/containerd/config.toml); a drop-in is written
#                             to conf.d/podvisor.toml next to it and added to the config's imports
#   --containerd-version V    the node's containerd (1.7 or 2.x), for a node without a containerd config;
#                             by default `containerd --version` of the node's binary, else 1.7. With a
#                             config, its `version` decides: 2 is containerd 1.7's form, 3 is 2.x's
#   --image-dir DIR           the guest image to install (default /var/cache/podvisor/images/current, made by
#                             rootfs-builder/build.sh); read from this machine, not from under --root
#   --jars DIR                the shim build: podvisor-shim-*.jar and lib/*.jar (default shim/target of this
#                             checkout, made by `mvn -DskipTests package`); read from this machine
#   --native-shim-from DIR    the shim's native image that install/native-shim.sh built into DIR (on a build
#                             machine, say); read from this machine. Without it, install/native-shim.sh builds
#                             the image from --jars when it is missing or stale (minutes, ~3 GB of memory)
#   --jvm-shim                containerd-shim-podvisor-v2 as the JVM launcher instead of the native image (no
#                             build; a JVM start per pod and per container, ~30 MiB more per pod)
#
# Installs <prefix>/bin/{containerd-shim-podvisor-v2,podvisor,launcher.sh}, <prefix>/lib/podvisor/ (jars
# and uninstall.sh), <prefix>/lib/podvisor-native/ (the shim's image, which bin/'s shim links to; not with --jvm-shim),
# /var/lib/podvisor/images/<hash>/ with a `current` link, /etc/podvisor/config.toml
# (never overwritten) and the containerd drop-in. containerd 2.x (config version 3) merges an imported
# file's plugin tables into the config's: its drop-in only adds the runtime to
# [plugins."io.containerd.cri.v1.runtime"]. containerd 1.7 (version 2) does not merge an imported file's
# plugin section into the config's but takes it whole, so its drop-in repeats the CRI tables containerd
# uses now (the config's, or those of the last imported file that has some) and adds the runtime to them:
# after changing CRI settings, run install.sh again. Running it again updates the files and keeps the first
# backup of containerd's config. It does not restart containerd: it says how. uninstall.sh undoes it all
# and restores containerd's config byte for byte.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
repo=$(cd "$here/.." && pwd)
prefix=/usr/local
root=
containerd_config=/etc/containerd/config.toml
image_src=/var/cache/podvisor/images/current
jars=$repo/shim/target
containerd_version=
native_shim=build

state_dir=/var/lib/podvisor/install
images_dir=/var/lib/podvisor/images
podvisor_config=/etc/podvisor/config.toml
cri='plugins."io.containerd.grpc.v1.cri"'

log() { echo "podvisor install: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
# The path on this machine of a node path.
host() { printf '%s%s' "$root" "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --root) root=${2:?--root needs a directory}; shift 2 ;;
        --containerd-config) containerd_config=${2:?--containerd-config needs a file}; shift 2 ;;
        --containerd-version) containerd_version=${2:?--containerd-version needs a version}; shift 2 ;;
        --image-dir) image_src=${2:?--image-dir needs a directory}; shift 2 ;;
        --jars) jars=${2:?--jars needs a directory}; shift 2 ;;
        --native-shim-from) native_shim=${2:?--native-shim-from needs a directory}; shift 2 ;;
        --jvm-shim) native_shim=; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
for p in "$prefix" "$containerd_config"; do
    case "$p" in /*) ;; *) die "$p is not an absolute path" ;; esac
done
if [ -n "$root" ]; then
    [ -d "$root" ] || die "--root $root is not a directory"
    root=$(cd "$root" && pwd)
    [ "$root" = / ] && root=
fi
prefix=${prefix%/}
[ -n "$prefix" ] || prefix=/

# --- what to install: check everything before writing anything ---

shim_jars=("$jars"/podvisor-shim-*.jar)
if [ ! -f "${shim_jars[0]}" ] || ! compgen -G "$jars/lib/*.jar" >/dev/null; then
    die "no shim build in $jars (podvisor-shim-*.jar and lib/*.jar): run 'mvn -DskipTests package' in $repo, or pass --jars DIR"
fi
[ ${#shim_jars[@]} -eq 1 ] || die "several shim jars in $jars (${shim_jars[*]##*/}): rebuild with 'mvn clean package -DskipTests' in $repo"
if [ "$native_shim" = build ]; then
    native_image=$("$here/native-shim.sh" --jars "$jars" | tail -n 1) \
        || die "no native shim (install/native-shim.sh failed, see above): pass --native-shim-from DIR with one built elsewhere, or --jvm-shim for the JVM shim"
elif [ -n "$native_shim" ]; then
    native_image=$native_shim/containerd-shim-podvisor-v2
    [ -x "$native_image" ] && [ -f "$native_shim/libjvm.so" ] \
        || die "no native shim in $native_shim (containerd-shim-podvisor-v2 and the libraries beside it): build it with install/native-shim.sh --out $native_shim"
fi

[ -d "$image_src" ] || die "no guest image at $image_src: build it with rootfs-builder/build.sh, or pass --image-dir DIR"
image_src=$(readlink -f "$image_src")
initramfs=initramfs.cpio
[ -f "$image_src/$initramfs" ] || initramfs=initramfs.cpio.gz
for f in image.json vmlinux "$initramfs" runtime.erofs; do
    [ -f "$image_src/$f" ] || die "guest image $image_src has no $f: rebuild it with rootfs-builder/build.sh"
done
image_hash=$(sed -n 's/.*"inputsHash"[[:space:]]*:[[:space:]]*"\([0-9A-Za-z]*\)".*/\1/p' "$image_src/image.json" | head -n 1)
[ -n "$image_hash" ] || image_hash=$(basename "$image_src")
case "$image_hash" in current|*[!0-9A-Za-z._-]*) die "guest image $image_src names no inputsHash in image.json: rebuild it with rootfs-builder/build.sh" ;; esac

cfg_host=$(host "$containerd_config")
dropin=$(dirname "$containerd_config")/conf.d/podvisor.toml
entry="\"$dropin\""
shim_path=${prefix%/}/bin/containerd-shim-podvisor-v2

# Lines of containerd's config before its first table: where `version` and `imports` live.
top_level() { awk '/^[ \t]*\[/ { exit } { print }' "$1"; }
has_import() { top_level "$1" | grep -v '^[[:space:]]*#' | grep -qF "$entry"; }
config_version() {
    top_level "$1" | sed -n 's/^[[:space:]]*version[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1
}

# awk: the name of the table a header line opens, quotes and spacing made uniform.
awk_table_name='function table_name(l,   s) {
    s = l; sub(/^[ \t]*\[+[ \t]*/, "", s); sub(/[ \t]*\]+[ \t]*(#.*)?$/, "", s)
    gsub(/\047/, "\"", s); gsub(/[ \t]*\.[ \t]*/, ".", s); gsub(/"podvisor"/, "podvisor", s)
    return s
}'
# The CRI plugin's tables of a containerd config, verbatim, but for a `podvisor` runtime of its own.
cri_tables() {
    awk -v cri="$cri" "$awk_table_name"'
        /^[ \t]*\[/ {
            name = table_name($0)
            copy = (name == cri || index(name, cri ".") == 1) && index(name ".", cri ".containerd.runtimes.podvisor.") != 1
        }
        copy { print }' "$1"
}
# The first line that sets CRI keys outside the CRI tables (dotted keys, inline tables), which cri_tables misses.
cri_stray_line() {
    awk -v cri="$cri" "$awk_table_name"'
        /^[ \t]*\[/ { name = table_name($0); in_cri = (name == cri || index(name, cri ".") == 1); next }
        !in_cri && !/^[ \t]*#/ && /io\.containerd\.grpc\.v1\.cri/ { print NR; exit }' "$1"
}
# The strings of the top-level imports array.
import_entries() {
    awk '
        !inside && /^[ \t]*\[/ { exit }
        !inside && /^[ \t]*imports[ \t]*=[ \t]*\[/ { inside = 1; sub(/^[^[]*\[/, "") }
        inside {
            rest = $0; sub(/#.*/, "", rest)
            end = index(rest, "]"); if (end) rest = substr(rest, 1, end - 1)
            while (match(rest, /"[^"]*"|\047[^\047]*\047/)) {
                print substr(rest, RSTART + 1, RLENGTH - 2); rest = substr(rest, RSTART + RLENGTH)
            }
            if (end) exit
        }' "$1"
}
# The files containerd loads after its config, in its order (node paths): the imports, relative ones
# next to the config, `*` patterns expanded in byte order; ones that do not exist are left out.
imported_files() {
    local entry_path match
    while IFS= read -r entry_path; do
        case "$entry_path" in /*) ;; *) entry_path=$(dirname "$containerd_config")/$entry_path ;; esac
        if [[ $entry_path == *'*'* ]]; then
            # The drop-in counts where the pattern will match it once it is written.
            while IFS= read -r match; do printf '%s\n' "${match#"$root"}"; done < <(
                { compgen -G "$(host "$entry_path")" || true
                  if [[ $(dirname "$dropin") == $(dirname "$entry_path") && $(basename "$dropin") == $(basename "$entry_path") ]]; then
                      host "$dropin"; echo
                  fi
                } | LC_ALL=C sort -u)
        elif [ -f "$(host "$entry_path")" ]; then
            printf '%s\n' "$entry_path"
        fi
    done < <(import_entries "$cfg_host") | awk -v config="$containerd_config" '$0 != config && !seen[$0]++'
}

# containerd 1.x takes the CRI section of the last file it loads that has one, whole: the drop-in must
# repeat that section (from "cri_source") and be the last file to have one.
# The config version of a node without a config: 3 for containerd 2.x, 2 for 1.7.
version_of_binary() {
    local v=$containerd_version bin
    if [ -z "$v" ]; then
        for bin in "$(host /usr/local/bin/containerd)" "$(host /usr/bin/containerd)"; do
            if [ -x "$bin" ]; then v=$("$bin" --version 2>/dev/null | awk '{print $3}'); break; fi
        done
    fi
    case "${v#v}" in
        ''|1.7|1.7.*) echo 2 ;;
        2|2.*) echo 3 ;;
        *) echo "podvisor install: ERROR: containerd $v is not supported: podvisor supports containerd 1.7 and 2.x" >&2
           return 1 ;;
    esac
}
cri_source=
format=
if [ -L "$cfg_host" ]; then
    die "$containerd_config is a symbolic link: pass the file it points to with --containerd-config"
elif [ -e "$cfg_host" ]; then
    format=$(config_version "$cfg_host")
    if [ -z "$format" ] && grep -q '^[[:space:]]*\[[[:space:]]*plugins' "$cfg_host"; then
        die "$containerd_config is a version 1 config: add 'version = 2' and name the CRI plugin $cri (containerd 1.7's form), or write containerd 2.x's 'version = 3' form"
    fi
    case "$format" in
        ''|2) format=2 ;;
        3) ;;
        *) die "$containerd_config has version = $format, which neither containerd podvisor supports reads (2: containerd 1.7, 3: containerd 2.x)" ;;
    esac
else
    format=$(version_of_binary) || exit 1
fi
if [ -e "$cfg_host" ] && [ "$format" = 2 ]; then
    mapfile -t loaded < <(imported_files)
    after_dropin=
    for f in "$containerd_config" ${loaded[@]+"${loaded[@]}"}; do
        if [ "$f" = "$dropin" ]; then after_dropin=1; continue; fi
        stray=$(cri_stray_line "$(host "$f")")
        [ -z "$stray" ] || die "$f sets CRI settings outside [$cri...] tables (line $stray), which the drop-in cannot repeat: write them as [$cri...] tables"
        if [ -n "$(cri_tables "$(host "$f")")" ]; then
            [ -z "$after_dropin" ] || die "$f, imported after $dropin, has CRI settings that would hide the podvisor runtime: import it before $dropin"
            cri_source=$f
        fi
        if [ "$f" != "$containerd_config" ] && [ -n "$(import_entries "$(host "$f")")" ]; then
            die "$f imports further files, which this installer does not follow: move those imports to $containerd_config"
        fi
    done
fi

# --- the manifest: everything this installs, for uninstall.sh and the next install ---
# Lines "kind<TAB>node path[<TAB>sha256]": dir (created by us; removed when empty), file, tree (a directory
# wholly ours), config (/etc/podvisor/config.toml as written), containerd (its config as we left it), prefix.

manifest=$(host "$state_dir/manifest")
old_manifest=()
[ -f "$manifest" ] && mapfile -t old_manifest <"$manifest"
old_entry() {  # old_entry KIND [PATH]: the first old manifest line of that kind (and path)
    local line k p
    for line in ${old_manifest[@]+"${old_manifest[@]}"}; do
        IFS=$'\t' read -r k p _ <<<"$line"
        if [ "$k" = "$1" ] && { [ $# -lt 2 ] || [ "$p" = "$2" ]; }; then printf '%s\n' "$line"; return 0; fi
    done
    return 1
}
if old=$(old_entry containerd); then
    IFS=$'\t' read -r _ old_cfg _ <<<"$old"
    [ "$old_cfg" = "$containerd_config" ] \
        || die "podvisor was installed with containerd config $old_cfg: run uninstall.sh${root:+ --root $root} first"
fi

new_manifest=()
own() { new_manifest+=("$(IFS=$'\t'; printf '%s' "$*")"); }
ensure_dir() {
    local path=$1 missing=() p
    while [ ! -d "$(host "$path")" ]; do missing=("$path" ${missing[@]+"${missing[@]}"}); path=$(dirname "$path"); done
    for p in ${missing[@]+"${missing[@]}"}; do mkdir "$(host "$p")"; own dir "$p"; done
}
finish() {
    local status=$? line kind path
    if [ -d "$(host "$state_dir")" ]; then
        # After a failure, keep what the earlier install owned as well, so that uninstall.sh finds it all.
        { printf '%s\n' ${new_manifest[@]+"${new_manifest[@]}"}
          [ $status -eq 0 ] || printf '%s\n' ${old_manifest[@]+"${old_manifest[@]}"}
        } | LC_ALL=C sort -u >"$manifest.tmp" && mv "$manifest.tmp" "$manifest"
    fi
    if [ $status -eq 0 ]; then
        # Drop what an earlier install put there and this one did not (an older image, another prefix).
        for line in ${old_manifest[@]+"${old_manifest[@]}"}; do
            IFS=$'\t' read -r kind path _ <<<"$line"
            case "$kind" in file|tree) ;; *) continue ;; esac
            printf '%s\n' "${new_manifest[@]}" | grep -qxF "$line" || rm -rf "$(host "$path")"
        done
    fi
}
trap finish EXIT

for line in ${old_manifest[@]+"${old_manifest[@]}"}; do
    IFS=$'\t' read -r kind path _ <<<"$line"
    if [ "$kind" = dir ] && [ -d "$(host "$path")" ]; then own dir "$path"; fi
done
ensure_dir "$state_dir"
own prefix "$prefix"

# --- shim, CLI and jars ---

bin=${prefix%/}/bin
lib=${prefix%/}/lib/podvisor
ensure_dir "$bin"
for f in containerd-shim-podvisor-v2 podvisor; do
    [ "$f" = containerd-shim-podvisor-v2 ] && [ -n "$native_shim" ] && continue
    install -m 0755 "$here/$f" "$(host "$bin/$f")"
    own file "$bin/$f"
done
if [ -n "$native_shim" ]; then
    # The image finds the JDK libraries beside it ($ORIGIN, the link's target): bin/ holds only a link to it.
    ensure_dir "$(dirname "$lib")"
    native=$lib-native
    staged=$(host "$native").new.$$
    rm -rf "$staged"
    mkdir "$staged"
    cp "$native_image" "$(dirname "$native_image")"/*.so "$staged/"
    chmod 0755 "$staged"
    if [ -d "$(host "$native")" ]; then mv "$(host "$native")" "$(host "$native").old.$$"; fi
    mv "$staged" "$(host "$native")"
    rm -rf "$(host "$native").old.$$"
    own tree "$native"
    ln -sfn "../lib/podvisor-native/containerd-shim-podvisor-v2" "$(host "$bin/containerd-shim-podvisor-v2")"
    own file "$bin/containerd-shim-podvisor-v2"
fi
install -m 0644 "$here/launcher.sh" "$(host "$bin/launcher.sh")"
own file "$bin/launcher.sh"
install -m 0755 "$here/aot-cache.sh" "$(host "$bin/aot-cache.sh")"
own file "$bin/aot-cache.sh"

ensure_dir "$(dirname "$lib")"
staged=$(host "$lib").new.$$
rm -rf "$staged"
mkdir "$staged"
cp "${shim_jars[0]}" "$jars"/lib/*.jar "$staged/"
install -m 0755 "$here/uninstall.sh" "$staged/uninstall.sh"
chmod 0644 "$staged"/*.jar
chmod 0755 "$staged"
# Swap directories so that a shim starting meanwhile sees either the old jars or the new ones.
if [ -d "$(host "$lib")" ]; then mv "$(host "$lib")" "$(host "$lib").old.$$"; fi
mv "$staged" "$(host "$lib")"
rm -rf "$(host "$lib").old.$$"
own tree "$lib"
# The shim's AOT cache, made for these jars and this JDK; under --root the JDK and the paths are the node's,
# so the node makes it (the shim runs without it meanwhile and its log says how to make it).
ensure_dir "$lib-aot"
own tree "$lib-aot"
if [ -z "$root" ]; then
    log "making the shim's AOT cache (a training run of the shim, some seconds)"
    "$bin/aot-cache.sh" >/dev/null || log "no AOT cache: the shim starts more slowly (see $lib-aot/shim.aot.log)"
else
    log "the shim's AOT cache is made on the node: run $bin/aot-cache.sh there (the shim starts more slowly without)"
fi

# --- guest image ---

ensure_dir "$images_dir"
image_dest=$images_dir/$image_hash
same_image() {
    local f
    for f in image.json vmlinux "$initramfs" runtime.erofs; do
        [ "$(stat -c %s "$image_src/$f")" = "$(stat -c %s "$(host "$image_dest")/$f" 2>/dev/null)" ] || return 1
    done
    cmp -s "$image_src/image.json" "$(host "$image_dest")/image.json"
}
if ! same_image; then
    log "copying the guest image $image_src to $image_dest"
    rm -rf "$(host "$image_dest")" "$(host "$image_dest").new.$$"
    mkdir "$(host "$image_dest").new.$$"
    cp --reflink=auto "$image_src"/{image.json,vmlinux,"$initramfs",runtime.erofs} "$(host "$image_dest").new.$$/"
    chmod 0755 "$(host "$image_dest").new.$$"
    mv "$(host "$image_dest").new.$$" "$(host "$image_dest")"
fi
own tree "$image_dest"
ln -sfn "$image_hash" "$(host "$images_dir/current").new.$$"
mv -T "$(host "$images_dir/current").new.$$" "$(host "$images_dir/current")"
own file "$images_dir/current"

# --- /etc/podvisor/config.toml ---

config_host=$(host "$podvisor_config")
if old=$(old_entry config "$podvisor_config") && [ -f "$config_host" ]; then
    own "$old"
elif [ -e "$config_host" ]; then
    log "kept the existing $podvisor_config; the installed image is $images_dir/current"
else
    ensure_dir "$(dirname "$podvisor_config")"
    install -m 0644 "$here/config.toml.example" "$config_host"
    own config "$podvisor_config" "$(sha "$config_host")"
fi

# --- containerd: the drop-in, and its place in the config's imports ---

ensure_dir "$(dirname "$dropin")"
# containerd 2.x: the CRI runtime plugin's tables merge with the config's; the runtime is all there is to add.
dropin_v3() {
    cat <<END
# Written by Podvisor's install.sh; uninstall.sh removes it. containerd reads it through the imports
# line of $containerd_config, after restarting. containerd 2.x merges these tables into its config's.
version = 3

# RuntimeClass handler "podvisor": each pod runs in a VM of its own.
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.podvisor]
  runtime_type = "io.containerd.podvisor.v2"
  runtime_path = "$shim_path"
  # A privileged container gets the VM's devices, not the host's.
  privileged_without_host_devices = true
  # Pod annotations passed to the shim (per-pod settings).
  pod_annotations = ["io.podvisor.*"]
END
}
# containerd 1.7: the drop-in's CRI section replaces the config's, so it repeats it.
dropin_v2() {
    cat <<EOF
# Written by Podvisor's install.sh; uninstall.sh removes it. containerd reads it through the imports
# line of $containerd_config, after restarting.
#
# containerd 1.x takes the CRI section of the last file it loads that has one, whole (it does not merge
# sections), so this file repeats the CRI tables containerd used when install.sh ran and adds the runtime
# handler "podvisor". After changing CRI settings, run install.sh again.
version = 2
EOF
    tables=
    if [ -n "$cri_source" ]; then
        tables=$(cri_tables "$(host "$cri_source")")
        printf '\n# The CRI tables of %s:\n%s\n' "$cri_source" "$tables"
    fi
    if ! awk -v cri="$cri" "$awk_table_name"'
            /^[ \t]*\[/ && index(table_name($0), cri ".containerd.runtimes.") == 1 { found = 1; exit }
            END { exit !found }' <<<"$tables"; then
        cat <<EOF

# containerd's default runtime (as containerd 1.7 defines it), which a runtimes table of our own
# would otherwise hide.
[$cri.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  sandbox_mode = "podsandbox"
EOF
    fi
    cat <<EOF

# RuntimeClass handler "podvisor": each pod runs in a VM of its own.
[$cri.containerd.runtimes.podvisor]
  runtime_type = "io.containerd.podvisor.v2"
  runtime_path = "$shim_path"
  # A privileged container gets the VM's devices, not the host's.
  privileged_without_host_devices = true
  # Pod annotations passed to the shim (per-pod settings).
  pod_annotations = ["io.podvisor.*"]
EOF
}
"dropin_v$format" >"$(host "$dropin").new.$$"
chmod 0644 "$(host "$dropin").new.$$"
mv "$(host "$dropin").new.$$" "$(host "$dropin")"
own file "$dropin"

backup=$(host "$state_dir/containerd-config.orig")
absent=$(host "$state_dir/containerd-config.absent")
# Adds our entry to the top-level `imports` array, or an `imports` line at the top when there is none.
add_import() {
    awk -v entry="$entry" '
        { line[NR] = $0 }
        END {
            n = NR; h = n + 1
            for (i = 1; i <= n; i++) if (line[i] ~ /^[ \t]*\[/) { h = i; break }
            start = 0
            for (i = 1; i < h; i++) if (line[i] ~ /^[ \t]*imports[ \t]*=[ \t]*\[/) { start = i; break }
            if (!start) {
                print "imports = [" entry "]"
                for (i = 1; i <= n; i++) print line[i]
                exit 0
            }
            # Find the "]" that closes the array and the last character inside the array before it.
            prev = "["
            for (j = start; j <= n; j++) {
                from = (j == start) ? index(line[j], "[") + 1 : 1
                body = substr(line[j], from); sub(/#.*/, "", body)
                close_at = index(body, "]")
                seg = close_at ? substr(body, 1, close_at - 1) : body
                sub(/[ \t\r]+$/, "", seg)
                if (seg ~ /[^ \t]/) prev = substr(seg, length(seg), 1)
                if (close_at) break
            }
            if (j > n) exit 2
            pos = from - 1 + close_at
            before = substr(line[j], 1, pos - 1)
            if (j > start && before ~ /^[ \t]*$/) {
                # "]" alone on its line: the entry goes on a line of its own before it.
                match(line[j - 1], /^[ \t]*/); indent = substr(line[j - 1], 1, RLENGTH)
                added = (prev == "," || prev == "[") ? indent entry "," : indent ", " entry
                for (i = 1; i < j; i++) print line[i]
                print added
                for (i = j; i <= n; i++) print line[i]
                exit 0
            }
            core = before; sub(/[ \t]+$/, "", core)
            ws = substr(before, length(core) + 1)
            sep = (prev == "[") ? "" : (prev == ",") ? " " : ", "
            line[j] = core sep entry ws substr(line[j], pos)
            for (i = 1; i <= n; i++) print line[i]
        }' "$1"
}
if [ ! -e "$cfg_host" ]; then
    ensure_dir "$(dirname "$containerd_config")"
    printf 'version = %s\nimports = [%s]\n' "$format" "$entry" >"$cfg_host"
    rm -f "$backup"
    : >"$absent"
    own containerd "$containerd_config" "$(sha "$cfg_host")"
elif has_import "$cfg_host"; then
    if old=$(old_entry containerd "$containerd_config"); then
        own "$old"
    else
        log "$containerd_config already imports $dropin but no backup of it is known: left as it is (uninstall.sh will remove only the import)"
        own containerd "$containerd_config" -
    fi
else
    edited=$(host "$containerd_config").podvisor.$$
    add_import "$cfg_host" >"$edited" || { rm -f "$edited"; die "$containerd_config: its imports array has no closing ]"; }
    cp -p "$cfg_host" "$backup"
    rm -f "$absent"
    chmod --reference="$cfg_host" "$edited"
    chown --reference="$cfg_host" "$edited"
    mv "$edited" "$cfg_host"
    own containerd "$containerd_config" "$(sha "$cfg_host")"
fi

# --- done ---

if [ -z "$root" ]; then
    for need in "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java:Java 25 (the shim runs on it)" \
        "/usr/bin/qemu-system-x86_64:QEMU (Debian package qemu-system-x86)" \
        "/usr/lib/qemu/virtiofsd:virtiofsd (Debian package qemu-system-common)"; do
        [ -x "${need%%:*}" ] || log "WARNING: no ${need#*:} at ${need%%:*}: pods with the podvisor runtime will fail until it is installed"
    done
fi
echo "podvisor: installed${root:+ under $root}: $shim_path, ${prefix%/}/bin/podvisor, image $images_dir/$image_hash"
echo "podvisor: containerd registers the runtime handler \"podvisor\" when it restarts: systemctl restart containerd"
