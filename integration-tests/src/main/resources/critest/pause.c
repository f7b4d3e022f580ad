/*
 * The sandbox (pause) image's process for critest: it waits for SIGTERM or SIGINT and reaps the processes of
 * the pod's PID namespace that end up as its children. It starts nothing itself, so a container sharing the
 * pod's PID namespace sees no process of the sandbox but this one (critest's execSync timeout spec checks that
 * `pgrep sleep` finds no sleep left).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int signal) {
    (void) signal;
    _exit(0);
}

static void reap(int signal) {
    (void) signal;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(void) {
    struct sigaction action = {0};
    action.sa_handler = stop;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    action.sa_handler = reap;
    action.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &action, NULL);
    for (;;) {
        pause();
    }
}
