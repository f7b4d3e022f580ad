# Sourced by the podvisor launchers: finds Java 25 and the shim jar's class path, then runs
# the main class "$main" with "$@". Works from a source checkout (after `mvn package`) and from
# an installed prefix (install/install.sh puts the jars in <prefix>/lib/podvisor).
# "$extra_cp", if set, goes first on the class path (install/podvisor bench).
# "$aot_training" set: the run records the shim's AOT cache into "$aot_output" (install/aot-cache.sh).
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
if [ -d "$here/../lib/podvisor" ]; then
  jars=("$here"/../lib/podvisor/*.jar)
  cp="$here/../lib/podvisor/*"
  aot_cache="$here/../lib/podvisor-aot/shim.aot"
else
  jar=$(ls "$here"/../shim/target/podvisor-shim-*.jar 2>/dev/null | head -n 1 || true)
  if [ -z "$jar" ]; then
    echo "podvisor: the shim is not built: run 'mvn -DskipTests package' in $(cd "$here/.." && pwd)" >&2
    exit 125
  fi
  jars=("$jar" "$here"/../shim/target/lib/*.jar)
  cp="$jar:$here/../shim/target/lib/*"
  aot_cache="$here/../shim/target/shim.aot"
fi
java_home=${PODVISOR_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [ ! -x "$java_home/bin/java" ]; then
  echo "podvisor: Java 25 not found at $java_home: install a Java 25 JDK or set PODVISOR_JAVA_HOME" >&2
  exit 125
fi
# Quick start and a small footprint matter more than peak speed for these short-lived or idle JVMs (one
# shim per pod): a heap that starts at 4 MiB (the default starts at 1/64 of the host's RAM), one C1 thread,
# the JDK's CDS archive mapped where it was built (relocating it copies every page into each process;
# mapped in place its pages are shared by all of them), and Netty/grpc buffers from plain allocations
# instead of per-thread pools of 4 MiB chunks. JVM warnings go to stderr, not to stdout (their default),
# where the shim's `start` gives containerd its address.
jvm_flags=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -XX:+UseCompactObjectHeaders
  -Xms4m -Xmx128m -Xss512k -XX:ReservedCodeCacheSize=16m -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0
  -Dio.netty.allocator.type=unpooled
  -XX:-UsePerfData --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
# The AOT cache (JEP 483/514/515) holds the shim's classes loaded and linked, and method profiles, from a
# training run; it is mapped like the CDS archive, shared by every shim. The JVM refuses a cache made for
# another JDK, class path (jar sizes and times) or flags, silently but for a missing file, which it reports
# on stderr, where `start` must write nothing else. So the cache is used only when its key, written beside
# it by install/aot-cache.sh, matches this JDK, these jars and flags; otherwise the shim starts without it
# and its log says why (PODVISOR_AOT_PROBLEM, logged by the daemon).
unset PODVISOR_AOT_PROBLEM
aot_flags=()
if [ -z "${extra_cp:-}" ]; then
  aot_key="java $(readlink -f "$java_home/bin/java") $(stat -c '%s %Y' "$java_home/lib/modules")
flags ${jvm_flags[*]} ${PODVISOR_JVM_OPTS:-}
jars $(stat -c '%n %s %Y' "${jars[@]}" | tr '\n' ' ')"
  if [ -n "${aot_training:-}" ]; then
    aot_flags=(-XX:AOTCacheOutput="$aot_output")
  elif [ -f "$aot_cache" ] && [ -f "$aot_cache.key" ] && [ "$(< "$aot_cache.key")" == "$aot_key" ]; then
    aot_flags=(-XX:AOTCache="$aot_cache")
  elif [ -f "$aot_cache" ]; then
    export PODVISOR_AOT_PROBLEM="the shim's AOT cache $aot_cache was made for another JDK, other jars or JVM flags:\
 the shim starts without it, more slowly; rebuild it with $here/aot-cache.sh"
  else
    export PODVISOR_AOT_PROBLEM="the shim has no AOT cache ($aot_cache): it starts more slowly;\
 make it with $here/aot-cache.sh"
  fi
fi
exec "$java_home/bin/java" "${jvm_flags[@]}" "${aot_flags[@]}" \
  -Xlog:disable -Xlog:all=warning:stderr ${PODVISOR_JVM_OPTS:-} -cp "${extra_cp:+$extra_cp:}$cp" "$main" "$@"
