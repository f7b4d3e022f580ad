/* The "jvm" library Substrate VM links (com.oracle.svm.core.jdk.Jvm), and the JNI_OnLoad_<lib> entry points
 * it calls for the JDK libraries it treats as built in. Those libraries are the JDK's shared libjava.so,
 * libnio.so, libnet.so, libzip.so and libextnet.so here: each JNI_OnLoad_<lib> runs that library's own JNI_OnLoad, which
 * keeps the JavaVM pointer its helpers use. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jni.h>
#include <sched.h>
#include <unistd.h>

void initialize(void) {
}

JNIEXPORT int JVM_ActiveProcessorCount(void) {
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
        int count = CPU_COUNT(&cpus);
        if (count > 0) {
            return count;
        }
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int) online : 1;
}

static jint load(const char *library, JavaVM *vm, void *reserved) {
    void *handle = dlopen(library, RTLD_LAZY | RTLD_NOLOAD);
    if (handle == NULL) {
        return JNI_VERSION_1_8;
    }
    jint (*on_load)(JavaVM *, void *) = (jint (*)(JavaVM *, void *)) dlsym(handle, "JNI_OnLoad");
    if (on_load != NULL && on_load(vm, reserved) < 0) {
        dlclose(handle);
        return JNI_ERR;
    }
    dlclose(handle);
    /* A built-in library must declare at least JNI 1.8; the shared ones still say 1.2. */
    return JNI_VERSION_1_8;
}

JNIEXPORT jint JNI_OnLoad_java(JavaVM *vm, void *reserved) {
    return load("libjava.so", vm, reserved);
}

JNIEXPORT jint JNI_OnLoad_nio(JavaVM *vm, void *reserved) {
    return load("libnio.so", vm, reserved);
}

JNIEXPORT jint JNI_OnLoad_net(JavaVM *vm, void *reserved) {
    return load("libnet.so", vm, reserved);
}

JNIEXPORT jint JNI_OnLoad_zip(JavaVM *vm, void *reserved) {
    return load("libzip.so", vm, reserved);
}

JNIEXPORT jint JNI_OnLoad_extnet(JavaVM *vm, void *reserved) {
    return load("libextnet.so", vm, reserved);
}
