/* A libjvm.so for the JDK's shared libjava.so, libnio.so, libnet.so and libzip.so inside a native image.
 * The image implements most of what those libraries would ask the JVM for in Java; the few JVM_ and jio_
 * functions their remaining native code calls are here. Every other function they import is defined by
 * the generated jvm_imports.h as a stub that names itself and aborts: they must all exist when the image
 * is loaded, since the libraries take their addresses. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int jio_vsnprintf(char *buffer, size_t size, const char *format, va_list args) {
    if (size == 0) {
        return -1;
    }
    int written = vsnprintf(buffer, size, format, args);
    if (written < 0 || (size_t) written >= size) {
        buffer[size - 1] = '\0';
        return -1;
    }
    return written;
}

int jio_snprintf(char *buffer, size_t size, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int written = jio_vsnprintf(buffer, size, format, args);
    va_end(args);
    return written;
}

int jio_vfprintf(FILE *stream, const char *format, va_list args) {
    return vfprintf(stream, format, args);
}

int jio_fprintf(FILE *stream, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int written = vfprintf(stream, format, args);
    va_end(args);
    return written;
}

long JVM_CurrentTimeMillis(void *env, void *ignored) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return now.tv_sec * 1000L + now.tv_nsec / 1000000;
}

long JVM_NanoTime(void *env, void *ignored) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000L + now.tv_nsec;
}

void *JVM_FindLibraryEntry(void *handle, const char *name) {
    return dlsym(handle, name);
}

int JVM_ActiveProcessorCount(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int) online : 1;
}

/* Runtime.halt, and System.exit once the shutdown hooks have run: the process ends with the status. */
void JVM_Halt(int status) {
    fflush(NULL);
    _exit(status);
}

__attribute__((unused)) static void missing(const char *name) {
    fprintf(stderr, "native image: %s is not available (JDK library call into the JVM)\n", name);
    abort();
}

#ifndef NO_IMPORTS
#define STUB(name) \
    void name(void) { missing(#name); }
#include "jvm_imports.h"
#endif
