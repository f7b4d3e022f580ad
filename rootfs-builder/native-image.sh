#!/bin/bash
# Builds a GraalVM native image of a Java program with GraalVM's image builder from Maven Central, our own C
# helpers, and Temurin's shared JDK libraries (Debian packages and Maven Central only: no GraalVM download):
#
#   rootfs-builder/native-image.sh --cp CLASSPATH --main CLASS --out FILE [--work DIR] [-- OPTION...]
#
#   --cp CLASSPATH  the program's jars and class directories, ':'-separated
#   --main CLASS    its main class
#   --out FILE      the executable to write; the JDK libraries it loads (libjava.so, libnio.so, ...) and a
#                   stub libjvm.so are copied beside it, where it finds them ($ORIGIN)
#   --work DIR      the builder's jars, JDK copy and C libraries (default /var/cache/podvisor/native-image)
#   OPTION          more builder options, e.g. -H:+ReportExceptionStackTraces
#
# The classpath's META-INF/native-image directories are read as the native-image launcher would
# (native-image/BuilderArgs.java). Progress goes to stderr; the last stdout line is the executable.
# Needs gcc, zlib1g-dev (Debian), Maven and a JDK 25 ($JAVA_HOME, default /usr/lib/jvm/temurin-25-jdk-amd64);
# $MAVEN_ARGS is passed to Maven (e.g. -Dmaven.repo.local=DIR). The builder takes 2-3 GB ($BUILDER_XMX, 3g).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
WORK=/var/cache/podvisor/native-image
BUILDER_XMX=${BUILDER_XMX:-3g}
CLASSPATH_ARG= MAIN= OUT=
EXTRA=()

log() { echo "native-image: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --cp) CLASSPATH_ARG=${2:?--cp needs a classpath}; shift 2 ;;
        --main) MAIN=${2:?--main needs a class name}; shift 2 ;;
        --out) OUT=${2:?--out needs a file}; shift 2 ;;
        --work) WORK=${2:?--work needs a directory}; shift 2 ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[ -n "$CLASSPATH_ARG" ] && [ -n "$MAIN" ] && [ -n "$OUT" ] || die "--cp, --main and --out are required (see --help)"
[ -x "$JAVA_HOME/bin/java" ] && [ -f "$JAVA_HOME/include/jni.h" ] || die "no JDK 25 at $JAVA_HOME: install one or set JAVA_HOME"
command -v gcc >/dev/null || die "no gcc: apt-get install gcc zlib1g-dev (install/setup-host.sh does)"
[ -f /usr/include/zlib.h ] || die "no zlib.h: apt-get install zlib1g-dev (install/setup-host.sh does)"
mkdir -p "$WORK" "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")

# The builder's jars, as the pom names them.
JARS=$WORK/jars
if [ ! -f "$JARS/.pom" ] || ! cmp -s "$JARS/.pom" "$HERE/native-image/pom.xml"; then
    log "resolving the builder's jars from Maven"
    rm -rf "$JARS"
    # shellcheck disable=SC2086 # MAVEN_ARGS is a list of options
    mvn -B -q ${MAVEN_ARGS:-} -f "$HERE/native-image/pom.xml" dependency:copy-dependencies -DoutputDirectory="$JARS" >&2 \
        || die "Maven could not resolve the builder's jars (rootfs-builder/native-image/pom.xml)"
    cp "$HERE/native-image/pom.xml" "$JARS/.pom"
fi
COMPILER_JAR=$(ls "$JARS"/compiler-*.jar)
MODULE_PATH=$(ls "$JARS"/*.jar | grep -v "^$COMPILER_JAR\$" | tr '\n' ':')

# The builder reads its C helpers from java.home/lib/svm: it runs on a hard-linked copy of the JDK that has them.
JDK=$WORK/jdk
if ! cmp -s "$JDK/release" "$JAVA_HOME/release"; then
    log "copying $JAVA_HOME (hard links) to $JDK"
    rm -rf "$JDK"
    cp -al "$JAVA_HOME" "$JDK.tmp" 2>/dev/null || { rm -rf "$JDK.tmp"; cp -a "$JAVA_HOME" "$JDK.tmp"; }
    mv "$JDK.tmp" "$JDK"
fi
CLIBS=$JDK/lib/svm/clibraries/linux-amd64
mkdir -p "$CLIBS/include" "$JDK/lib/svm/builder/lib" "$WORK/obj"
C=$HERE/native-image/c
# The JDK's shared libraries whose JNI functions the image may call (the builder names them at link time).
JDK_LIBS=("$JAVA_HOME"/lib/{libjava,libnio,libnet,libzip,libextnet,libmanagement_ext}.so)
cc() { gcc -O2 -Wall -Werror -fPIC -I"$C/include" -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux" "$@"; }
# The static libraries the image links by name (lib<name>.a for @CLibrary("<name>")) and their headers.
cp "$C"/include/*.h "$CLIBS/include/"
static_lib() {
    local name=$1 src objs=()
    shift
    for src in "$@"; do cc -c "$C/$src.c" -o "$WORK/obj/$src.o"; objs+=("$WORK/obj/$src.o"); done
    rm -f "$CLIBS/lib$name.a"
    ar rcs "$CLIBS/lib$name.a" "${objs[@]}"
}
static_lib libchelper libchelper cpufeatures
static_lib jvm jvm
static_lib svm_container container
# The builder wants static libjava.a, libnio.a and libnet.a, which no Debian package or Maven artifact has:
# empty archives satisfy its check, and the image links the JDK's shared libraries instead.
for lib in java nio net; do rm -f "$CLIBS/lib$lib.a"; ar rc "$CLIBS/lib$lib.a"; done
# Those shared libraries need a libjvm.so with every JVM_ and jio_ function they import: jvmstub.c has the
# few they call here, jvm_imports.h a stub for each of the others.
cc -c "$C/jvmstub.c" -DNO_IMPORTS -o "$WORK/obj/jvmstub-own.o"
nm --defined-only "$WORK/obj/jvmstub-own.o" | awk '$2 == "T" {print $3}' | sort >"$WORK/obj/jvmstub-own.txt"
nm -D --undefined-only "${JDK_LIBS[@]}" | awk '{print $2}' | sed 's/@.*//' | grep -E '^(JVM_|jio_)' | sort -u \
    | comm -23 - "$WORK/obj/jvmstub-own.txt" | sed 's/.*/STUB(&)/' >"$WORK/obj/jvm_imports.h"
cc -shared -I"$WORK/obj" -Wl,-soname,libjvm.so -Wl,--version-script,"$C/jvmstub.map" "$C/jvmstub.c" \
    -o "$WORK/obj/libjvm.so"
gcc -O2 -Wall -Werror -shared -fPIC -I"$JDK/include" -I"$JDK/include/linux" "$C/reporterchelper.c" \
    -o "$JDK/lib/svm/builder/lib/libreporterchelper.so"

LINK=(-Wl,--no-as-needed '-Wl,-rpath,$ORIGIN' "${JDK_LIBS[@]}" "$WORK/obj/libjvm.so")
"$JAVA_HOME/bin/java" "$HERE/native-image/BuilderArgs.java" image "$CLASSPATH_ARG" >"$WORK/image.args" \
    || die "cannot read the classpath's META-INF/native-image (see above)"
mapfile -t IMAGE_ARGS <"$WORK/image.args"
"$JAVA_HOME/bin/java" --add-modules=ALL-DEFAULT,jdk.internal.vm.ci "$HERE/native-image/BuilderArgs.java" exports \
    >"$WORK/exports.args"

# Classes initialized while the image is built run in the builder's JVM: the program's own classes may use
# Unsafe there as they would on a JVM, but not link native functions (FFM downcalls), which an image without
# GraalVM's FFM support cannot call. Denied, a library falls back (Netty: to Unsafe instead of malloc/free).
TMP=$(mktemp -d "$WORK/build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# A fixed build ID (from the inputs) keeps equal inputs giving equal bytes.
BUILD_ID=$(cat "$JARS/.pom" "$HERE/native-image.sh" <(echo "$CLASSPATH_ARG $MAIN ${EXTRA[*]}") | sha256sum \
    | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
log "building $OUT from $MAIN (the builder takes minutes)"
START=$(date +%s)
JVMCI_VERSION_CHECK=ignore "$JDK/bin/java" -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI -XX:-UseJVMCICompiler \
    -Xss10m -Xmx"$BUILDER_XMX" -XX:+UseParallelGC -Xshare:off \
    --enable-native-access=org.graalvm.nativeimage.builder --illegal-native-access=deny \
    --sun-misc-unsafe-memory-access=allow \
    -Djava.system.class.loader=com.oracle.svm.hosted.NativeImageSystemClassLoader \
    -Dcom.oracle.graalvm.isaot=true -Dorg.graalvm.nativeimage.imagecode=buildtime \
    -Djdk.internal.lambda.disableEagerInitialization=true \
    @"$WORK/exports.args" --add-modules=ALL-DEFAULT \
    --upgrade-module-path "$COMPILER_JAR" --module-path "$MODULE_PATH" \
    -m org.graalvm.nativeimage.builder/com.oracle.svm.hosted.NativeImageGeneratorRunner \
    -imagecp "$CLASSPATH_ARG" -H:Class="$MAIN" -H:Path="$TMP" -H:Name=image \
    -H:CLibraryPath="$CLIBS" -H:TempDirectory="$TMP/work" -H:ImageBuildID="$BUILD_ID" \
    -H:MicroArchitecture=compatibility -H:+ReportExceptionStackTraces \
    -H:EnableNativeAccess=org.graalvm.nativeimage.builder,ALL-UNNAMED \
    "${LINK[@]/#/-H:NativeLinkerOption=}" "${IMAGE_ARGS[@]}" "${EXTRA[@]}" >&2 \
    || die "the image builder failed for $MAIN (see above)"
mv "$TMP/image" "$OUT"
cp "$WORK/obj/libjvm.so" "${JDK_LIBS[@]}" "$(dirname "$OUT")/"
log "built $OUT ($(du -h "$OUT" | cut -f1)) in $(( $(date +%s) - START )) s"
echo "$OUT"
