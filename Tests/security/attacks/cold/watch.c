// watch: inside a container with CAP_SYS_PTRACE, report every new process
// of the pid namespace as early as possible: its caps, its root and cwd
// (compared with ours), its descriptors; pidfd_getfd each of them, and for
// an exec.fifo write a byte to it (starting a created pod member without
// `hako start`); for a directory descriptor, list it.
// Build: gcc -static -O2 -o watch watch.c
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char seen[4194304];

static void report(int p) {
    char path[128], link[512], buf[4096];
    struct stat st, me;
    snprintf(path, sizeof path, "/proc/%d/status", p);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    int n = read(fd, buf, sizeof buf - 1); close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    char *c = strstr(buf, "CapEff:"), *nm = strstr(buf, "Name:");
    printf("pid %d %.20s CapEff %.16s\n", p, nm ? nm + 6 : "?", c ? c + 8 : "?");
    stat("/", &me);
    snprintf(path, sizeof path, "/proc/%d/root/", p);
    if (stat(path, &st) == 0) printf("  root dev %lx ino %lu %s\n", (long)st.st_dev, (long)st.st_ino, st.st_ino == me.st_ino && st.st_dev == me.st_dev ? "(ours)" : "(NOT OURS)");
    snprintf(path, sizeof path, "/proc/%d/cwd", p);
    n = readlink(path, link, sizeof link - 1);
    if (n > 0) { link[n] = 0; printf("  cwd %s\n", link); }
    int pidfd = syscall(SYS_pidfd_open, p, 0);
    for (int i = 0; i < 256; i++) {
        snprintf(path, sizeof path, "/proc/%d/fd/%d", p, i);
        n = readlink(path, link, sizeof link - 1);
        if (n <= 0) continue;
        link[n] = 0;
        int got = pidfd >= 0 ? syscall(SYS_pidfd_getfd, pidfd, i, 0) : -1;
        printf("  fd %d -> %s (getfd %d)\n", i, link, got);
        if (got < 0) continue;
        if (strstr(link, "exec.fifo") && getenv("START")) {
            int w = write(got, "x", 1);
            printf("  wrote to exec.fifo: %d\n", w);
        }
        struct stat g;
        if (fstat(got, &g) == 0 && S_ISDIR(g.st_mode)) {
            DIR *d = fdopendir(dup(got));
            struct dirent *e;
            printf("  dir:");
            while (d && (e = readdir(d))) printf(" %s", e->d_name);
            printf("\n");
        }
        close(got);
    }
    if (pidfd >= 0) close(pidfd);
    fflush(stdout);
}

int main(void) {
    pid_t self = getpid();
    setvbuf(stdout, 0, _IOLBF, 0);
    printf("watch: pid %d\n", self);
    for (;;) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while ((e = readdir(d))) {
            int p = atoi(e->d_name);
            if (p <= 1 || p == self || p >= (int)sizeof seen || seen[p]) continue;
            seen[p] = 1;
            report(p);
        }
        closedir(d);
    }
}
