// The foreground terminal's calls (Sources/Runtime/Terminal): window sizes
// through the variadic ioctl, and signals as a descriptor that poll() can
// wait on beside the terminal's, since hako is single-threaded.
#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cnamespaces.h"

int hk_signalfd_all(void) {
    sigset_t all;
    sigfillset(&all);
    return signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
}

int hk_signalfd_next(int fd) {
    struct signalfd_siginfo info;
    ssize_t r;
    do r = read(fd, &info, sizeof(info)); while (r < 0 && errno == EINTR);
    if (r < 0) return errno == EAGAIN ? 0 : -1;
    if (r != (ssize_t)sizeof(info)) {
        errno = EIO;
        return -1;
    }
    return (int)info.ssi_signo;
}

int hk_copy_winsize(int from, int to) {
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) < 0) return -1;
    return ioctl(to, TIOCSWINSZ, &ws);
}
