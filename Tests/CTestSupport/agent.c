#define _GNU_SOURCE
#include "ctestsupport.h"
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int hk_test_listen(const char *path) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
    unlink(path);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0) { close(s); return -1; }
    return s;
}

// Accepts the runtime's connection and takes the listener and its payload.
static int receive_listener(int server, char *payload, size_t len) {
    int c = accept4(server, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) return -errno;
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = payload, .iov_len = len - 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
    ssize_t n = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
    close(c);
    if (n < 0) return -errno;
    payload[n] = 0;
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    if (!h || h->cmsg_type != SCM_RIGHTS) return -EBADMSG;
    int fd;
    memcpy(&fd, CMSG_DATA(h), sizeof(int));
    return fd;
}

int hk_test_seccomp_agent(int server, char *payload, size_t len, int count, int error) {
    int fd = receive_listener(server, payload, len);
    if (fd < 0) return fd;
    int answered = 0;
    for (; answered < count; answered++) {
        struct seccomp_notif req;
        memset(&req, 0, sizeof(req));
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) break;
        struct seccomp_notif_resp resp = { .id = req.id, .error = -error, .val = 0, .flags = 0 };
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) break;
    }
    close(fd);
    return answered;
}

int hk_test_seccomp_agent_continue(int server, char *payload, size_t len, const int *deny, int error,
                                   unsigned *seen, int timeout_ms) {
    int fd = receive_listener(server, payload, len);
    if (fd < 0) return fd;
    int total = 0;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, timeout_ms);
        if (r == 0) { total = -ETIMEDOUT; break; }
        if (r < 0 || !(p.revents & POLLIN)) break; /* POLLHUP: the filter's last user exited */
        struct seccomp_notif req;
        memset(&req, 0, sizeof(req));
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) continue; /* the caller died meanwhile */
        total++;
        if (req.data.nr >= 0 && req.data.nr < 512) seen[req.data.nr]++;
        struct seccomp_notif_resp resp = { .id = req.id };
        if (req.data.nr == deny[0] || req.data.nr == deny[1]) resp.error = -error;
        else resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    close(fd);
    return total;
}
