// cwdracer OUT: the container's root, holding CAP_SYS_PTRACE in the
// container's user namespace, watches for every new process in its pid
// namespace and opens /proc/PID/cwd and /proc/PID/root. A runtime process
// that joined the container's user namespace but has not yet taken the
// container's root and ids is, for that moment, still the host's uid 0 in
// the host's filesystem: if it is dumpable the kernel lets this open its
// cwd and root, which are the host's. Reaching one writes "escaped ..." to
// OUT (a file the test reads); "ready" is written once the watch runs.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(const char *out, const char *what) {
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) { (void)write(fd, what, strlen(what)); close(fd); }
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    struct stat mine;
    if (stat("/", &mine) != 0) return 2;
    int next = 2;
    FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "r");
    if (f) { if (fscanf(f, "%d", &next) != 1) next = 2; fclose(f); next++; }
    report(argv[1], "ready\n");
    for (unsigned long tries = 0;; tries++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/%s", next, (tries & 1) ? "root" : "cwd");
        int fd = open(path, O_PATH | O_DIRECTORY);
        if (fd < 0) {
            // Not born yet, or gone: move on once a later pid exists.
            char later[64];
            struct stat st;
            snprintf(later, sizeof later, "/proc/%d", next + 1);
            if (stat(later, &st) == 0) next++;
            // Re-read where the pids are every so often, in case we fell behind.
            if ((tries & 4095) == 0 && (f = fopen("/proc/sys/kernel/ns_last_pid", "r"))) {
                int last;
                if (fscanf(f, "%d", &last) == 1 && last > next + 1) next = last;
                fclose(f);
            }
            continue;
        }
        struct stat st;
        fstat(fd, &st);
        close(fd);
        if (st.st_dev != mine.st_dev || st.st_ino != mine.st_ino) {
            char msg[128];
            snprintf(msg, sizeof msg, "escaped through %s\n", path);
            report(argv[1], msg);
            return 0;
        }
        next++;  // this one already has the container's root: past the window
    }
}
