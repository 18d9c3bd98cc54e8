/* The container's side of sd_notify, for notify.bats: waits DELAY_MS
 * (argv[1], default 0), sends "READY=1" to $NOTIFY_SOCKET as
 * systemd-notify --ready does, then sleeps until killed. Static: the
 * busybox rootfs has no libc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 0;
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path) { fprintf(stderr, "ready: no NOTIFY_SOCKET\n"); return 2; }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&a, sizeof(a)) != 7) {
        perror("ready: sendto");
        return 1;
    }
    for (;;) pause();
}
