/* nosys: what a deny-by-default seccomp profile answers for a syscall newer
 * than any it names (process_madvise, 440 on x86_64) and for an old one it
 * leaves out (times). Tests/cli/parity.bats builds it statically. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static const char *outcome(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

int main(void) {
    printf("new:%s\n", outcome(syscall(440)));
    printf("old:%s\n", outcome(syscall(SYS_times, 0)));
    return 0;
}
