/* The C helpers Substrate VM calls by name ("libchelper"): environment, time zone, thread times, mremap,
 * the signal dispatch of jdk.internal.misc.Signal, and the default locale. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "svm_locale.h"

extern char **environ;

char **getEnviron(void) {
    return environ;
}

int getThreadId(void) {
    return (int) syscall(SYS_gettid);
}

/* User CPU time of a thread of this process in nanoseconds, from /proc (field 14 of stat), or -1. */
long getThreadUserTimeSlow(int tid) {
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, file);
    fclose(file);
    buf[n] = '\0';
    char *s = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long utime;
    if (s == NULL || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu", &utime) != 1) {
        return -1;
    }
    return (long) (utime * (1000000000.0 / sysconf(_SC_CLK_TCK)));
}

/* open and openat with their optional mode always passed, and fprintf with one string and one int: fixed
 * signatures for calls the image cannot make to variadic functions. */
int openSII(const char *path, int flags, int mode) {
    return open(path, flags, mode);
}

int openatISII(int dirfd, const char *path, int flags, int mode) {
    return openat(dirfd, path, flags, mode);
}

int fprintfSD(FILE *stream, const char *format, const char *text, int number) {
    return fprintf(stream, format, text, number);
}

void *mremapP(void *old_address, size_t old_size, size_t new_size, int flags, void *new_address) {
    return mremap(old_address, old_size, new_size, flags, new_address);
}

void codeSynchronization_clearCache(long code, long size) {
    __builtin___clear_cache((char *) code, (char *) (code + size));
}

/* The time zone ID for java.util.TimeZone: $TZ, else the zoneinfo name /etc/localtime links to, else
 * /etc/timezone; NULL when none is found (Java then uses GMT). The caller frees it. */
char *SVM_FindJavaTZmd(const char *java_home, int java_home_len) {
    const char *tz = getenv("TZ");
    if (tz != NULL && *tz != '\0') {
        return strdup(tz[0] == ':' ? tz + 1 : tz);
    }
    char link[PATH_MAX];
    ssize_t n = readlink("/etc/localtime", link, sizeof(link) - 1);
    if (n > 0) {
        link[n] = '\0';
        char *zone = strstr(link, "zoneinfo/");
        if (zone != NULL) {
            return strdup(zone + strlen("zoneinfo/"));
        }
    }
    FILE *file = fopen("/etc/timezone", "r");
    if (file != NULL) {
        char line[256];
        char *got = fgets(line, sizeof(line), file);
        fclose(file);
        if (got != NULL) {
            line[strcspn(line, " \t\n")] = '\0';
            if (line[0] != '\0') {
                return strdup(line);
            }
        }
    }
    return NULL;
}

/* Signals for jdk.internal.misc.Signal: the C handler counts each signal and wakes the dispatcher thread,
 * which takes pending signals one at a time. */
static sem_t signal_semaphore;
static volatile int signal_open;
static volatile int pending[NSIG];

static void count_signal(int signo) {
    if (signo > 0 && signo < NSIG) {
        __atomic_add_fetch(&pending[signo], 1, __ATOMIC_SEQ_CST);
        sem_post(&signal_semaphore);
    }
}

int cSunMiscSignal_open(void) {
    if (signal_open) {
        return 1;
    }
    if (sem_init(&signal_semaphore, 0, 0) != 0) {
        return -1;
    }
    memset((void *) pending, 0, sizeof(pending));
    signal_open = 1;
    return 0;
}

int cSunMiscSignal_close(void) {
    if (!signal_open) {
        return 0;
    }
    signal_open = 0;
    return sem_destroy(&signal_semaphore);
}

int cSunMiscSignal_awaitSemaphore(void) {
    int result;
    while ((result = sem_wait(&signal_semaphore)) != 0 && errno == EINTR) {
    }
    return result;
}

int cSunMiscSignal_signalSemaphore(void) {
    return sem_post(&signal_semaphore);
}

int cSunMiscSignal_signalRangeCheck(int signo) {
    return signo > 0 && signo < NSIG;
}

/* A pending signal's number (taking it), or -1 when none is pending. */
int cSunMiscSignal_checkPendingSignal(void) {
    for (int signo = 1; signo < NSIG; signo++) {
        int count = pending[signo];
        while (count > 0) {
            if (__atomic_compare_exchange_n(&pending[signo], &count, count - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
                return signo;
            }
        }
    }
    return -1;
}

void *cSunMiscSignal_signalHandlerFunctionPointer(void) {
    return (void *) count_signal;
}

/* The default locale from the environment (LC_ALL, LC_CTYPE/LC_MESSAGES, LANG), as language, script,
 * country and variant: "de_CH.UTF-8@euro" gives de, "", CH, euro; C and POSIX give en. */
static svm_locale_props_t locale_props;

static void split_locale(const char *name, char **language, char **script, char **country, char **variant) {
    *language = strdup("en");
    *script = strdup("");
    *country = strdup("");
    *variant = strdup("");
    if (name == NULL || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0 || strncmp(name, "C.", 2) == 0) {
        return;
    }
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", name);
    char *at = strchr(buf, '@');
    if (at != NULL) {
        *at = '\0';
        free(*variant);
        *variant = strdup(at + 1);
    }
    char *dot = strchr(buf, '.');
    if (dot != NULL) {
        *dot = '\0';
    }
    char *underscore = strchr(buf, '_');
    if (underscore != NULL) {
        *underscore = '\0';
        free(*country);
        *country = strdup(underscore + 1);
    }
    if (buf[0] != '\0') {
        free(*language);
        *language = strdup(buf);
    }
}

int svm_initialize_locale(void) {
    const char *display = setlocale(LC_MESSAGES, "");
    split_locale(display, &locale_props.display_language, &locale_props.display_script,
                 &locale_props.display_country, &locale_props.display_variant);
    const char *format = setlocale(LC_CTYPE, "");
    split_locale(format, &locale_props.format_language, &locale_props.format_script,
                 &locale_props.format_country, &locale_props.format_variant);
    return locale_props.format_language == NULL ? SVM_LOCALE_INITIALIZATION_OUT_OF_MEMORY
                                                : SVM_LOCALE_INITIALIZATION_SUCCEEDED;
}

svm_locale_props_t *svm_get_locale(void) {
    return &locale_props;
}
