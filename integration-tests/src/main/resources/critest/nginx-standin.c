/*
 * Stands in for the nginx test image critest uses (no registry here): PID file at /var/run/nginx.pid,
 * "nginx: master process" in its command line, and HTTP on port 80 (busybox httpd serving /www).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "master") != 0) {
        execl("/usr/sbin/nginx", "nginx: master process nginx", "master", (char *) NULL);
        perror("exec /usr/sbin/nginx");
        return 127;
    }
    mkdir("/var/run", 0755);
    FILE *pid = fopen("/var/run/nginx.pid", "w");
    if (pid == NULL) {
        perror("/var/run/nginx.pid");
        return 1;
    }
    fprintf(pid, "%d\n", (int) getpid());
    fclose(pid);
    printf("nginx: serving /www on port 80\n");
    fflush(stdout);
    pid_t server = fork();
    if (server == 0) {
        execl("/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www", (char *) NULL);
        perror("exec busybox httpd");
        _exit(127);
    }
    int status = 0;
    waitpid(server, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
