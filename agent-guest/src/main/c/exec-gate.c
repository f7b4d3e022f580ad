/*
 * The terminal gate of a container exec: crun starts this program (passed as descriptor 3) in place of the
 * exec's command. It waits for the agent to write a byte into descriptor 4, which the agent does once the
 * exec's terminal has its size, closes both descriptors and then executes the command given as its
 * arguments, searching PATH the way crun does; if the agent closes the pipe instead, it exits with 125. crun sizes an exec's terminal only after it has let the
 * process go; without the gate a command that reads its size at once can see 0x0.
 *
 * Freestanding x86-64 Linux (no libc): build-exec-gate.sh compiles it and writes ExecGateProgram.java.
 */

#define SYS_READ 0
#define SYS_WRITE 1
#define SYS_CLOSE 3
#define SYS_EXECVE 59
#define SYS_EXIT_GROUP 231

#define EINTR 4
#define ENOENT 2
#define ENOTDIR 20
#define EACCES 13

#define PROGRAM_FD 3
#define RELEASE_FD 4

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static long syscall3(long number, long a, long b, long c) {
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}

static unsigned long length(const char *s) {
    unsigned long n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

static void say(const char *s) {
    syscall3(SYS_WRITE, 2, (long) s, (long) length(s));
}

static const char *reason(long error) {
    switch (error) {
        case ENOENT: return "no such file or directory";
        case EACCES: return "permission denied";
        case ENOTDIR: return "not a directory";
        case 8: return "exec format error";
        case 7: return "argument list too long";
        case 12: return "out of memory";
        case 21: return "is a directory";
        default: return "cannot execute";
    }
}

static __attribute__((noreturn)) void fail(const char *name, long error) {
    say("exec ");
    say(name);
    say(": ");
    say(reason(error));
    say("\n");
    syscall3(SYS_EXIT_GROUP, error == ENOENT ? 127 : 126, 0, 0);
    __builtin_unreachable();
}

static const char *path_of(char **envp) {
    for (; *envp; envp++) {
        const char *e = *envp;
        if (e[0] == 'P' && e[1] == 'A' && e[2] == 'T' && e[3] == 'H' && e[4] == '=') {
            return e + 5;
        }
    }
    return DEFAULT_PATH;
}

static int has_slash(const char *s) {
    for (; *s; s++) {
        if (*s == '/') {
            return 1;
        }
    }
    return 0;
}

__attribute__((used, noreturn)) void gate_main(long *stack) {
    long argc = stack[0];
    char **argv = (char **) (stack + 1);
    char **envp = argv + argc + 1;
    char release;
    long got;
    while ((got = syscall3(SYS_READ, RELEASE_FD, (long) &release, 1)) == -EINTR) {
    }
    syscall3(SYS_CLOSE, RELEASE_FD, 0, 0);
    syscall3(SYS_CLOSE, PROGRAM_FD, 0, 0);
    if (got != 1) {
        say("exec gate: the agent gave up on starting this process\n");
        syscall3(SYS_EXIT_GROUP, 125, 0, 0);
    }
    if (argc < 2) {
        say("exec gate: no command\n");
        syscall3(SYS_EXIT_GROUP, 127, 0, 0);
    }
    char *name = argv[1];
    char **args = argv + 1;
    if (has_slash(name)) {
        fail(name, -syscall3(SYS_EXECVE, (long) name, (long) args, (long) envp));
    }
    char candidate[4096];
    unsigned long name_length = length(name);
    long error = ENOENT;
    const char *entry = path_of(envp);
    for (;;) {
        const char *end = entry;
        while (*end && *end != ':') {
            end++;
        }
        unsigned long directory_length = (unsigned long) (end - entry);
        const char *directory = directory_length == 0 ? "." : entry;
        if (directory_length == 0) {
            directory_length = 1;
        }
        if (directory_length + 1 + name_length < sizeof candidate) {
            unsigned long at = 0;
            for (unsigned long i = 0; i < directory_length; i++) {
                candidate[at++] = directory[i];
            }
            candidate[at++] = '/';
            for (unsigned long i = 0; i <= name_length; i++) {
                candidate[at++] = name[i];
            }
            long result = -syscall3(SYS_EXECVE, (long) candidate, (long) args, (long) envp);
            if (result != ENOENT && result != ENOTDIR) {
                error = result;
                if (result != EACCES) {
                    break;
                }
            }
        }
        if (!*end) {
            break;
        }
        entry = end + 1;
    }
    fail(name, error);
}

__asm__(".text\n"
        ".globl _start\n"
        "_start:\n"
        "    xor %rbp, %rbp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call gate_main\n"
        "    hlt\n");
