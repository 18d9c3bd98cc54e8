// getfd PID: take every descriptor of PID with pidfd_getfd (needs ptrace access to it) and append a line to the regular files among them.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/stat.h>
int main(int argc, char **argv) {
    int pid = atoi(argv[1]);
    int pfd = syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0) { perror("pidfd_open"); return 1; }
    int got = 0;
    for (int fd = 0; fd < 64; fd++) {
        int n = syscall(SYS_pidfd_getfd, pfd, fd, 0);
        if (n < 0) { if (fd < 4) perror("pidfd_getfd"); continue; }
        char p[64], t[512] = {0}; snprintf(p, sizeof p, "/proc/self/fd/%d", n);
        readlink(p, t, sizeof t - 1);
        struct stat st; fstat(n, &st);
        printf("init fd %d -> %s (mode %o)\n", fd, t, st.st_mode);
        if (S_ISREG(st.st_mode)) { const char *m = "INJECTED-FROM-CONTAINER\n"; if (write(n, m, strlen(m)) > 0) printf("  wrote to it\n"); }
        got++;
    }
    return got ? 0 : 2;
}
