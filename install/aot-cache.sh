#!/usr/bin/env bash
# Makes the shim's AOT cache (JDK 25's -XX:AOTCacheOutput, JEP 483/514/515) for the jars beside this script
# (an installed prefix, or a source checkout's shim/target), from a training run of the shim's start path
# (io.podvisor.shim.AotTraining: no containerd, no VM). The launcher uses it while its key (JDK, jars, JVM
# flags) matches; run this again after changing any of them (install/install.sh, install/test.sh and
# `podvisor bench` do). --if-stale: only when the cache is missing or does not match.
set -euo pipefail
main=io.podvisor.shim.AotTraining
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
if [ "${1:-}" = --if-stale ]; then
  fresh=$(
    set --
    exec() { [ "${#aot_flags[@]}" -gt 0 ] && echo yes; return 0; }
    . "$here/launcher.sh"
  )
  if [ "$fresh" = yes ]; then
    exit 0
  fi
fi
aot_training=1
if [ -d "$here/../lib/podvisor" ]; then
  target="$here/../lib/podvisor-aot/shim.aot"
else
  target="$here/../shim/target/shim.aot"
fi
mkdir -p "$(dirname "$target")"
aot_output="$target.new"
rm -f "$aot_output" "$aot_output.config"
# The launcher, run in a subshell, computes the key and runs the training; its last line is the key.
key_file="$target.key.new"
(
  set -- 
  # shellcheck source=launcher.sh
  exec() { printf '%s' "$aot_key" > "$key_file"; command "$@"; }
  . "$here/launcher.sh"
) > "$target.log" 2>&1 || {
  echo "podvisor: the AOT training run failed (the shim still starts, more slowly); its output:" >&2
  cat "$target.log" >&2
  exit 1
}
if [ ! -s "$aot_output" ]; then
  echo "podvisor: the AOT training run made no cache at $aot_output (the shim still starts, more slowly):" >&2
  cat "$target.log" >&2
  exit 1
fi
mv -f "$aot_output" "$target"
mv -f "$key_file" "$target.key"
echo "$(cd "$(dirname "$target")" && pwd)/$(basename "$target")"
