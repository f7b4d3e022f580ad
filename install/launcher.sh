# Sourced by the podvisor launchers: finds Java 25 and the shim jar's class path, then runs
# the main class "$main" with "$@". Works from a source checkout (after `mvn package`) and from
# an installed prefix (install/install.sh puts the jars in <prefix>/lib/podvisor).
# "$extra_cp", if set, goes first on the class path (install/podvisor bench).
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
if [ -d "$here/../lib/podvisor" ]; then
  cp="$here/../lib/podvisor/*"
else
  jar=$(ls "$here"/../shim/target/podvisor-shim-*.jar 2>/dev/null | head -n 1 || true)
  if [ -z "$jar" ]; then
    echo "podvisor: the shim is not built: run 'mvn -DskipTests package' in $(cd "$here/.." && pwd)" >&2
    exit 125
  fi
  cp="$jar:$here/../shim/target/lib/*"
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
exec "$java_home/bin/java" -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -XX:+UseCompactObjectHeaders \
  -Xms4m -Xmx128m -Xss512k -XX:ReservedCodeCacheSize=16m -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0 \
  -Dio.netty.allocator.type=unpooled \
  -XX:-UsePerfData --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Xlog:disable -Xlog:all=warning:stderr ${PODVISOR_JVM_OPTS:-} -cp "${extra_cp:+$extra_cp:}$cp" "$main" "$@"
