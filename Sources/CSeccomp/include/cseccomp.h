// Bridge to libseccomp: the profile is compiled here into classic BPF, and
// hako installs the bytes itself (Seccomp/Filter.swift), which lets it cache
// them and pass kernel flags libseccomp 2.5 does not know.
#ifndef HAKO_CSECCOMP_H
#define HAKO_CSECCOMP_H
#include <stdint.h>

// Returns "major.minor.micro" of the linked libseccomp in buf.
void hk_seccomp_version(char *buf, unsigned long len);

struct hk_seccomp_arg {
    uint32_t index;
    uint32_t op;      // enum scmp_compare
    uint64_t value;
    uint64_t value_two;
};

// A filter being built; NULL on failure.
void *hk_seccomp_new(uint32_t default_action);
void hk_seccomp_free(void *ctx);
// Adds an architecture by libseccomp's name ("x86_64", "x86", "x32", ...).
// Returns 0, -ENOENT for an unknown name, or another -errno.
int hk_seccomp_add_arch(void *ctx, const char *name);
// The syscall's number for the native architecture, or -1 if unknown.
int hk_seccomp_resolve(const char *name);
// Adds one rule; returns 0 or -errno.
int hk_seccomp_add_rule(void *ctx, uint32_t action, int syscall, unsigned n, const struct hk_seccomp_arg *args);
// Compiles into classic BPF (struct sock_filter[]), into a buffer the
// caller frees with free(). Returns the length in bytes or -errno.
long hk_seccomp_export(void *ctx, uint8_t **out);
// Installs BPF bytes with seccomp(SECCOMP_SET_MODE_FILTER, flags). Returns
// the result (a listener fd with SECCOMP_FILTER_FLAG_NEW_LISTENER) or -1.
int hk_seccomp_install(const uint8_t *bpf, unsigned long len, unsigned int flags);
#endif
