/* Tries to make an AF_VSOCK socket and to reach the host's and the guest's own vsock ports; prints each outcome. */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void try_connect(unsigned int cid, unsigned int port) {
    int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (fd < 0) {
        printf("socket: %s\n", strerror(errno));
        return;
    }
    struct sockaddr_vm address = {.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
    int rc = connect(fd, (struct sockaddr *) &address, sizeof address);
    printf("connect %u:%u: %s\n", cid, port, rc == 0 ? "connected" : strerror(errno));
    close(fd);
}

int main(void) {
    try_connect(VMADDR_CID_HOST, 1024);
    try_connect(VMADDR_CID_LOCAL, 1024);
    return 0;
}
