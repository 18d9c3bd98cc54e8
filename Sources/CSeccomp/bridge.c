#define _GNU_SOURCE
#include "cseccomp.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

void hk_seccomp_version(char *buf, unsigned long len) {
    const struct scmp_version *v = seccomp_version();
    snprintf(buf, len, "%u.%u.%u", v->major, v->minor, v->micro);
}

void *hk_seccomp_new(uint32_t default_action) {
    scmp_filter_ctx ctx = seccomp_init(default_action);
    if (!ctx) return NULL;
    // hako sets no_new_privs itself, from process.noNewPrivileges.
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    // A binary tree of syscall numbers instead of a linear chain.
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    // Real error codes from rule_add, not a blanket -EINVAL.
    seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    return ctx;
}

void hk_seccomp_free(void *ctx) { seccomp_release(ctx); }

int hk_seccomp_add_arch(void *ctx, const char *name) {
    uint32_t arch = seccomp_arch_resolve_name(name);
    if (arch == 0) return -ENOENT;
    int r = seccomp_arch_add(ctx, arch);
    return r == -EEXIST ? 0 : r;
}

int hk_seccomp_resolve(const char *name) {
    int n = seccomp_syscall_resolve_name(name);
    return n == __NR_SCMP_ERROR ? -1 : n;
}

int hk_seccomp_add_rule(void *ctx, uint32_t action, int syscall, unsigned n, const struct hk_seccomp_arg *args) {
    struct scmp_arg_cmp cmp[6];
    if (n > 6) return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        cmp[i].arg = args[i].index;
        cmp[i].op = (enum scmp_compare)args[i].op;
        cmp[i].datum_a = args[i].value;
        cmp[i].datum_b = args[i].value_two;
    }
    return seccomp_rule_add_array(ctx, action, syscall, n, cmp);
}

long hk_seccomp_export(void *ctx, uint8_t **out) {
    // libseccomp 2.5 exports to a descriptor only.
    int fd = (int)syscall(SYS_memfd_create, "seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0) return -errno;
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0) { close(fd); return r; }
    off_t len = lseek(fd, 0, SEEK_END);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf) { close(fd); return -ENOMEM; }
    if (pread(fd, buf, (size_t)len, 0) != len) { int e = errno; free(buf); close(fd); return -e; }
    close(fd);
    *out = buf;
    return (long)len;
}

int hk_seccomp_install(const uint8_t *bpf, unsigned long len, unsigned int flags) {
    struct sock_fprog prog = { .len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)bpf };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}
