// Test-only C: a seccomp notification agent, which needs struct layouts and
// ioctls that are clumsy from Swift. Not linked into hako.
#ifndef HAKO_CTESTSUPPORT_H
#define HAKO_CTESTSUPPORT_H
#include <stddef.h>

// A listening unix socket at path, or -1.
int hk_test_listen(const char *path);
// Accepts one runtime connection, receives the seccomp listener fd and its
// payload (into payload, NUL-terminated), then answers `count` notified
// syscalls with -error. Returns the number answered, or -errno.
int hk_test_seccomp_agent(int server, char *payload, size_t len, int count, int error);
// Like hk_test_seccomp_agent, but answers every notified syscall until the
// last process using the filter is gone: the syscalls numbered deny[0] and
// deny[1] fail with -error, any other continues. seen[nr] counts the syscalls notified (nr < 512).
// Gives up after timeout_ms without a notification. Returns the number seen,
// or -errno.
int hk_test_seccomp_agent_continue(int server, char *payload, size_t len, const int *deny, int error,
                                   unsigned *seen, int timeout_ms);
#endif
